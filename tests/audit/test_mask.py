from billing.audit.mask import MAX_BODY_CHARS, body_for_audit, mask


def test_personal_data_and_secrets_are_masked() -> None:
    body = {
        "nik": "1971015508950099",
        "phone": "+62 812-3456-7890",
        "note": "NIK 1971015508950099 ditelepon",
        "new_password": "rahasia",
        "items": [{"api_token": "bk_x", "n": 1971015508950099, "ok": True}],
    }
    assert mask(body) == {
        "nik": "1971********0099",
        "phone": "+62812******90",
        "note": "NIK 1971********0099 ditelepon",
        "new_password": "***",
        "items": [{"api_token": "***", "n": "1971********0099", "ok": True}],
    }


def test_deep_and_huge_bodies_are_cut() -> None:
    deep: object = "x"
    for _ in range(50):
        deep = [deep]
    assert "…" in str(mask(deep))
    assert body_for_audit({"a": 1}, MAX_BODY_CHARS + 1) == {"omitted": True, "bytes": MAX_BODY_CHARS + 1}
