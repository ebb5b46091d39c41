from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Money in and out"

    def ready(self) -> None:
        """Plug into the layers below, which never import payments: the event catalogue's
        types, reconcile's checks, the inbound consumer's top-ups and failures, the admin's approval
        gate, the demo data."""
        from core.demo import demo_seeded
        from ledger.approvals import register_gate
        from ledger.reconcile import register_check
        from payments import hooks
        from payments.events import register_event_types
        from payments.reconcile import CHECKS
        from wallets.inbound.claims import register_failure_claim, register_topup_claim

        register_event_types()
        for name, sql in CHECKS.items():
            register_check(name, sql)
        register_topup_claim(hooks.deposit_completion)
        register_failure_claim(hooks.deposit_failure)
        register_gate(hooks.staff_posting_gate)
        demo_seeded.connect(hooks.seed_demo_payments, dispatch_uid="payments-demo")
