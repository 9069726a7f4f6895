from enum import StrEnum


class Payer(StrEnum):
    """Who pays a contribution; tariff discounts depend on it (PP 50/2025 excludes government budgets)."""

    self = "self"
    sponsor_apbd = "sponsor_apbd"  # local or national government budget (APBD, APBN, DBH Sawit)
    sponsor_csr = "sponsor_csr"  # a company's CSR programme


class BudgetType(StrEnum):
    apbd = "apbd"
    apbn = "apbn"
    dbh_sawit = "dbh_sawit"
    csr = "csr"

    @property
    def payer(self) -> Payer:
        return Payer.sponsor_csr if self is BudgetType.csr else Payer.sponsor_apbd
