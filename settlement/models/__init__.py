"""Settlement data: merchants and their bank accounts (merchants.py), envelopes and redemptions (intake.py)."""

from settlement.models.intake import (  # noqa: F401
    Disposal,
    Envelope,
    EnvelopeLine,
    Investigation,
    ReadOutcome,
    Redemption,
    SerialRead,
    VerificationClass,
)
from settlement.models.merchants import (  # noqa: F401
    Bank,
    BankAccount,
    BankBranch,
    KitShipment,
    Merchant,
    MerchantRepresentative,
)
from settlement.models.payouts import (  # noqa: F401
    AuditReport,
    BatchEnvelope,
    BatchOutput,
    Cutoff,
    FraudHit,
    FraudRule,
    PayoutLine,
    SettlementBatch,
    WatchCase,
    WatchContact,
)
