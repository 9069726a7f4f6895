"""Demo API tokens, kept in a file so that re-running the demo prints the same ones.

Only token hashes are in the database, so the clear tokens have to live somewhere: the file is
``instance/demo-tokens.txt`` (git-ignored, mode 0600). A token the database no longer accepts
(the database was deleted, the token revoked) is replaced by a new one and the file rewritten."""

from pathlib import Path

from sqlmodel import Session, col, select

from billing.auth.models import ApiUser, Role
from billing.auth.service import authenticate, create_user
from billing.errors import Unauthenticated
from billing.mandates.models import Mandate
from billing.participants.models import Participant

HEADER = "# Token API demo / demo API tokens: <role> <token>. Hapus untuk token baru / delete for new ones.\n"


def read(path: Path) -> dict[Role, str]:
    if not path.exists():
        return {}
    out: dict[Role, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in Role.__members__:
            out[Role(parts[0])] = parts[1]
    return out


def write(path: Path, tokens: dict[Role, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(HEADER + "".join(f"{role} {tok}\n" for role, tok in tokens.items()), encoding="utf-8")


def _valid(session: Session, role: Role, tok: str | None, participant_id: int | None) -> ApiUser | None:
    if tok is None:
        return None
    try:
        user = authenticate(session, f"Bearer {tok}")
    except Unauthenticated:
        return None
    return user if user.role == role and user.participant_id == participant_id else None


def ensure(session: Session, path: Path, worker_participant_id: int | None) -> dict[Role, str]:
    """One working token per role (the worker's only if there is a participant to bind it to)."""
    known = read(path)
    tokens: dict[Role, str] = {}
    for role in Role:
        participant_id = worker_participant_id if role is Role.worker else None
        if (role is Role.worker and participant_id is None) or role is Role.agent:
            continue  # no participant to bind; the demo agent signs in with a password (billing.demo.staff)
        tok = known.get(role)
        if _valid(session, role, tok, participant_id) is None:
            _, tok = create_user(session, role=role, name=f"demo {role}", participant_id=participant_id)
        tokens[role] = tok
    if tokens != known:
        write(path, tokens)
    return tokens


def worker_participant(session: Session) -> Participant | None:
    """The participant the demo worker token belongs to: the first who pays by auto-debit (so the
    worker sees debits, retries and notices), else the first one."""
    debited = session.exec(
        select(Participant).join(Mandate, col(Mandate.participant_id) == Participant.id).order_by(col(Participant.id))
    ).first()
    return debited or session.exec(select(Participant).order_by(col(Participant.id))).first()
