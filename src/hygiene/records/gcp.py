"""Plain GCP records that have no provider-neutral twin in ``hygiene.records.cloud``: projects, billing
links and budgets. No SDK import here, so checks may use these types."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class GcpProject:
    """A project in scope: its id, number, parent and labels (empty when it could not be read)."""

    project_id: str
    number: str = ""
    display_name: str = ""
    parent: str = ""
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BillingAccount:
    """A Cloud Billing account the caller can see."""

    name: str  # "billingAccounts/0123-4567-89AB"
    display_name: str = ""
    open: bool = True
    currency: str = ""

    @property
    def account_id(self) -> str:
        """``0123-4567-89AB``: the id the billing export's ``billing_account_id`` carries."""
        return self.name.removeprefix("billingAccounts/")


@dataclass(frozen=True)
class ProjectBilling:
    """Which billing account a project is linked to, and whether billing is enabled."""

    project_id: str
    billing_account: str  # "billingAccounts/…", "" when the project is not linked
    billing_enabled: bool
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Threshold:
    """A budget alert threshold: a percentage of the budget, on actual or forecast spend."""

    percent: float  # 80.0 for 80 %
    basis: str = "actual"  # "actual" | "forecast"


@dataclass(frozen=True)
class GcpBudget:
    """A budget from the Budget API, its filter mapped to scopes.

    ``projects`` are project ids (numbers the scope could not map stay ``projects/NUMBER``); an
    empty filter list means "all" (the whole billing account). ``amount is None`` for a budget
    that follows last period's spend (``last_period_amount``).
    """

    name: str  # "billingAccounts/…/budgets/…"
    display_name: str
    billing_account: str  # "billingAccounts/…"
    amount: Decimal | None
    currency: str
    projects: tuple[str, ...] = ()
    services: tuple[str, ...] = ()  # "services/6F81-5844-456A"
    labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    credit_types_treatment: str = "INCLUDE_ALL_CREDITS"
    calendar_period: str = "MONTH"
    unmapped: tuple[str, ...] = ()  # filters hygiene cannot apply to export rows
    thresholds: tuple[Threshold, ...] = ()

    @property
    def budget_id(self) -> str:
        """The budget's last path segment."""
        return self.name.rsplit("/", 1)[-1]

    def covers(self, project_id: str) -> bool:
        """True when the budget's project filter includes ``project_id`` (empty filter: all)."""
        return not self.projects or project_id in self.projects


@dataclass
class GcpBilling:
    """What the billing-links check evaluates: accounts, project links and budgets."""

    accounts: list[BillingAccount] = field(default_factory=list)
    projects: list[ProjectBilling] = field(default_factory=list)
    budgets: list[GcpBudget] = field(default_factory=list)
    budgets_read: set[str] = field(default_factory=set)  # accounts whose budgets were listed
    accounts_read: bool = False  # listBillingAccounts answered
