"""Demo browser logins: a finance officer and a manager for the workspace, and a Perisai agent for the
agents' pages; a new random password printed on every run (only hashes are stored, so a password cannot
be shown again)."""

from sqlmodel import Session, select

from billing.auth.cli import generated_password
from billing.auth.models import ApiUser, Role
from billing.auth.service import create_user, set_password

ROLES = (Role.finance, Role.manager, Role.agent)


def ensure(session: Session) -> dict[Role, tuple[str, str]]:
    """Each demo role's username and its fresh password (a revoked demo login stays revoked)."""
    out: dict[Role, tuple[str, str]] = {}
    for role in ROLES:
        username, password = f"demo-{role}", generated_password()
        user = session.exec(select(ApiUser).where(ApiUser.username == username)).first()
        if user is None:
            create_user(session, role=role, name=f"Demo {role}", username=username, password=password, token=False)
        elif user.revoked_at is not None:
            continue  # someone revoked it on purpose: the demo does not bring it back
        else:
            set_password(session, user, password, reason="billing demo seed")
        out[role] = (username, password)
    return out
