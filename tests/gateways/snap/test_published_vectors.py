"""SNAP's signatures against worked examples a provider publishes with their keys and results.

Source: Midtrans (a payment gateway speaking SNAP, https://github.com/Midtrans/SNAP-BI-Signature-Demo),
its sample code for each signature, read at these commits:
- B2B access token, SHA256withRSA over ``clientKey|timestamp``:
  ``sample-code/b2b-access-token/xSignatureGenerationNode.js`` (ec17c275b2ff867367dcdabe24c8a8bb3d88829f)
- transaction, HMAC-SHA512 over ``METHOD:path:accessToken:sha256hex(minified body):timestamp``:
  ``sample-code/symmetricSignature/xSignatureGenerationNode.js`` (07b64efb54cbe56f0ec515d67905db99837b922f)
- notify callback, SHA256withRSA over ``METHOD:path:sha256hex(minified body):timestamp``, signed and verified:
  ``sample-code/asymmetricSignatureNotificationGeneration/xSignatureGenerationNode.js``
  (058c94a5e89614f4c4444dbb513997d7f478243b) and
  ``sample-code/asymmetricSignatureNotificationVerification/xSignatureVerificationNode.js``
  (500300f7ae453c3f0a6e9146182dbb14656b345c)
The private key (``vectors/midtrans_sample_private_key.pem``) is the one printed in those files, a sample
key of no account; the timestamps are the samples' "hardcoded timestamp value"; the bodies are the samples'
(minified by our wire code, as the samples minify theirs with JSON.parse/stringify). PKCS#1 v1.5 signatures
are deterministic, so the adapter's must equal the published ones byte for byte."""

from pathlib import Path

from billing.gateways.snap import signing, wire

KEY = signing.load_private_key(Path(__file__).parent / "vectors" / "midtrans_sample_private_key.pem")


def test_b2b_access_token_signature_equals_the_published_one() -> None:
    published = (
        "WzW49tYIgKIBmBi/gVBHGLAkhEaZlXM11zcZxAiyHji6TLPjPbwLu3Z45it25AIeG0XDItcdTSkds47zFEMh6IP0PXPIP1+Ey4RmX/o2fuYRF"
        "/xBHvfvKnMmANMTS1axsXBSW3EHqYpbVrkCcqNnB3u+wu63us9WIhRZaWgxgQ2PJLaiVHIwgu9u7jxkWX7Bg4rerZH3RKdQfIJAAJsSN13ef"
        "R7VdSAyzU7QaKjgislxrLqmesYNJkbD03XLjHdo6YWuzAVV7xdZRpLiGkIAkW7luXTBZYBO+4oENZAPQYzrLeN1qRY1Sr7BgLONCA2QA26BB"
        "6SYW4R7qofS9+RyOQ=="
    )
    assert signing.sign_token(KEY, "G1234325-SNAP", "2024-03-01T08:27:49.024Z") == published


def test_transaction_signature_equals_the_published_one() -> None:
    body = {
        "partnerReferenceNo": "2020102900000000000001",
        "amount": {"value": "12345678.00", "currency": "IDR"},
        "feeAmount": {"value": "12345678.00", "currency": "IDR"},
        "merchantId": "00007100010926",
        "terminalId": "213141251124",
        "validityPeriod": "2009-07-03T12:08:56-07:00",
    }
    got = signing.sign_transaction(
        "myclientsecret", "POST", "/v1.0/qr/qr-mpm-generate", "myaccesstoken", wire.minify(body),
        "2024-03-05T10:37:16.196Z",
    )  # fmt: skip
    assert got == "wmzT7yjg1SxxCsxNsFgCR9SYXiZGGbceF6fV8xe97sAMHxZ+7OEBMIBmvb6Sj6GcksGp3iv77DiomgSbcST3XQ=="


def test_notify_signature_equals_the_published_one() -> None:
    refund = {
        "refundNo": "96194816941239812",
        "partnerReferenceNo": "239850918204981205970",
        "refundAmount": {"value": "12345678.00", "currency": "IDR"},
        "refundStatus": "00",
        "refundDate": "2020-12-23T07:44:16+07:00",
        "reason": "Customer Complain",
    }
    body = {
        "createdTime": "2020-01-01T00:00:00+07:00",
        "latestTransactionStatus": "00",
        "originalReferenceNo": "gopayOrderId",
        "finishedTime": "2020-01-02T00:00:00+07:00",
        "originalPartnerReferenceNo": "merchant-order-id",
        "transactionStatusDesc": "desc",
        "originalExternalId": "merchant-order-id",
        "additionalInfo": {
            "payOptionDetails": [{"payMethod": "GOPAY", "payOption": "GOPAY_WALLET"}],
            "fraudStatus": "accept",
            "refundHistory": [refund],
            "validUpTo": "2021-01-01T00:00:00+07:00",
        },
    }
    published = (
        "eUGsomFLNsjWzehgGsa317MqcVOgscay/Hml8yNmOsFhmoBM7pso+UPDgSe34anXvecSQkf5NOr0fbr8k9qdyyoWiYX7DTq/Wnz8XC0cRCCb"
        "NZfyLIyF33HO9cnvxOcRQq9DuWlQtld+uEluuivVdN2TiaWLpUTmfB/H7noZnXWWDj6FYa4n5kSo4o3aTeFYAF9EmLp0Tcsl8CiHSQCrQnIb"
        "B8M2+puLwyJ1l2OocvZ5qgjf5f2DqlCbemsSMzYzjN+YMrb0kiDx0TiW5UTk+WZass43xIfb3vdrlX+U2JSk5YsJ8lFpp9F+7FId4cyncElN"
        "FEbt3zWuP4iDzXteCg=="
    )
    signed = signing.sign_notify(KEY, "POST", "/v1.0/debit/notify", wire.minify(body), "2024-03-05T10:37:16.196Z")
    assert signed == published


def test_a_published_notify_is_verified_and_a_changed_one_is_not() -> None:
    # The body exactly as received (already minified); the sample prints its digest, checked first.
    body = (
        b'{"originalPartnerReferenceNo":"GP24043015193402809","originalReferenceNo":"A120240430081940S9vu8gSjaRID",'
        b'"merchantId":"G099333790","amount":{"value":"102800.00","currency":"IDR"},"latestTransactionStatus":"00",'
        b'"transactionStatusDesc":"SUCCESS","additionalInfo":{"refundHistory":[]}}'
    )
    assert signing.body_digest(body) == "79ebbe6a6b695262dd686d0dedafc57c94e3b3dededf8d63971f8a95699ace85"
    received = (
        "RoJnP2tH/YiOhHM/lMVBMSAuzRmS8VrWdIy04Qqyb56daV7oWFMFoMMzqnjQ+q0MIUalYgU094GWQnCx2c29xb1kkqHhv2+iJ9xl6NjGmFGY"
        "qyvcKvUDAV83Y1Mw9JnsEcjcupdGw9/MRv/mm2GMrQ+BCZGfc4a46JDyPZbcY294vDGqs5rFBN6iYer5ro4cAQGo9hET2G82Y+j50vCyO/79"
        "GFE4vB1rvtu6PK2Bxi+vTYV8k7P7PS8tOPWM2O+kjiVWjwvLR99Botou+a8sxlQqZaihfWMKcByzV+Lgkr9cptpjys+1NIRWT1ad/sJBSLHy"
        "ldzC3q2oRn5z5oZmyg=="
    )
    public = KEY.public_key()
    stamp = "2024-05-02T14:43:08+07:00"
    assert signing.rsa_verify(public, signing.notify_string("POST", "/v1.0/debit/notify", body, stamp), received)
    paid_more = body.replace(b"102800.00", b"102801.00")
    assert not signing.rsa_verify(
        public, signing.notify_string("POST", "/v1.0/debit/notify", paid_more, stamp), received
    )
