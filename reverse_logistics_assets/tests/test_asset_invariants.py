"""Property-based test: random histories of pallets (deliveries, returns by every path, price changes,
losses, rental runs, refunds by hand) keep the deposit and balance invariants after every step.

CI runs the "ci" profile (fixed seed, about 20 examples); HYPOTHESIS_PROFILE=long runs more. A failing
example is printed shrunk, draw by draw.
"""
import os
from collections import defaultdict
from contextlib import closing
from datetime import date

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from odoo import Command, fields, models
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import float_round

from .common import CASES_PER_PALLET, AssetsCommon

settings.register_profile(
    "ci", max_examples=20, derandomize=True, deadline=None, database=None, print_blob=True,
    suppress_health_check=list(HealthCheck),
)
settings.register_profile(
    "long", max_examples=150, deadline=None, database=None, print_blob=True,
    suppress_health_check=list(HealthCheck),
)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
STEPS = ["deliver", "deliver", "invoice", "wizard", "receipt", "odoo_return", "refund", "price", "loss",
         "rental"]


@tagged("post_install", "-at_install")
class TestAssetInvariants(AssetsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.second = cls.env["res.partner"].create({"name": "Second brewery", "user_id": cls.salesman.id})
        cls.partners = [cls.partner, cls.second]
        # Rental from the first day out, so that a rental run charges the units out this month.
        cls.pallet_type.grace_days = 0
        cls._stock_in(cls.pallet, 400)

    @settings(PROFILE)
    @given(data=st.data())
    def test_random_histories(self, data):
        # Each example in a savepoint rolled back at the end: examples never see each other.
        with closing(self.env.cr.savepoint()):
            self._run_history(data.draw)
        self.env.invalidate_all()

    # ------------------------------------------------------------------
    def _run_history(self, draw):
        self.expected = {p: {"out": 0.0, "back": 0.0, "lost": 0.0, "surplus": 0.0} for p in self.partners}
        self.orders = defaultdict(list)
        self.deliveries = defaultdict(list)   # [(picking, pallets left to give back through Odoo)]
        self.stock_before = self._pallets_in_stock()
        self.physical_back = 0.0
        for step in range(draw(st.integers(2, 6), label="steps")):
            kind = draw(st.sampled_from(STEPS), label=f"step {step}")
            partner = draw(st.sampled_from(self.partners), label=f"step {step} partner")
            note(f"step {step}: {kind} for {partner.name}")
            getattr(self, f"_step_{kind}")(draw, partner, step)
            self._check_stored_values()
            self._check_invariants()

    def _held(self, partner):
        e = self.expected[partner]
        return e["out"] - e["back"] - e["lost"]

    def _count(self, partner, qty):
        """What a return of `qty` counts back: never more than the partner holds; the rest is surplus."""
        counted = min(qty, self._held(partner))
        self.expected[partner]["back"] += counted
        self.expected[partner]["surplus"] += qty - counted
        self.physical_back += qty

    # Steps -----------------------------------------------------------------------------
    def _step_deliver(self, draw, partner, step):
        pallets = draw(st.integers(1, 3), label=f"step {step} pallets")
        order, picking, _invoice = self._sell(pallets * CASES_PER_PALLET, partner=partner,
                                              invoice=draw(st.booleans(), label=f"step {step} invoiced"))
        self.orders[partner].append(order)
        self.deliveries[partner].append([picking, pallets])
        self.expected[partner]["out"] += pallets

    def _step_invoice(self, draw, partner, step):
        for order in self.orders[partner]:
            order.order_line._compute_qty_to_invoice()
            if any(line.qty_to_invoice for line in order.order_line):
                self._invoice(order)

    def _step_wizard(self, draw, partner, step):
        qty = draw(st.integers(1, 3), label=f"step {step} counted")
        surplus = qty > self._held(partner)
        self._count_back(qty, partner=partner, user=self.assets_manager if surplus else self.clerk,
                         confirm_surplus=surplus,
                         refund_at_receipt=draw(st.booleans(), label=f"step {step} refund at receipt"))
        self._count(partner, qty)

    def _step_receipt(self, draw, partner, step):
        qty = draw(st.integers(1, 4), label=f"step {step} received")
        receipt = self.env["stock.picking"].with_user(self.clerk).create({
            "picking_type_id": self.warehouse.in_type_id.id, "partner_id": partner.id,
            "location_id": self.customer_location.id, "location_dest_id": self.stock_location.id,
            "move_ids": [Command.create({
                "name": "pallets", "product_id": self.pallet.id, "product_uom_qty": qty,
                "location_id": self.customer_location.id, "location_dest_id": self.stock_location.id})],
        })
        receipt.action_confirm()
        receipt.move_ids.quantity = qty
        receipt.move_ids.picked = True
        receipt.button_validate()
        self._count(partner, qty)

    def _step_odoo_return(self, draw, partner, step):
        open_deliveries = [d for d in self.deliveries[partner] if d[1] > 0]
        if not open_deliveries:
            return
        delivery = draw(st.sampled_from(open_deliveries), label=f"step {step} delivery")
        qty = draw(st.integers(1, int(delivery[1])), label=f"step {step} returned")
        self._odoo_return(delivery[0], {self.pallet: qty},
                          to_refund=draw(st.booleans(), label=f"step {step} updating the sale"))
        delivery[1] -= qty
        self._count(partner, qty)

    def _step_refund(self, draw, partner, step):
        if not self._balance(partner):
            return
        try:
            with self.env.cr.savepoint():
                self._refund_deposits(partner)
        except UserError as error:
            self.assertIn("No deposit is left to refund", str(error))
        # Whatever was owed is refunded now: a second click finds nothing.
        with self.assertRaisesRegex(UserError, "No deposit is left to refund"):
            self._refund_deposits(partner)

    def _step_price(self, draw, partner, step):
        self.pallet_type.with_user(self.assets_manager).deposit_price = draw(
            st.sampled_from([12.50, 15.00, 10.00]), label=f"step {step} deposit")

    def _step_loss(self, draw, partner, step):
        held = int(self._held(partner))
        if held <= 0:
            return
        qty = draw(st.integers(1, held), label=f"step {step} lost")
        mode = draw(st.sampled_from(["invoice", "deposit"]), label=f"step {step} mode")
        try:
            with self.env.cr.savepoint():
                self.env["returnable.asset.loss"].with_user(self.assets_manager).create({
                    "partner_id": partner.id, "asset_type_id": self.pallet_type.id, "quantity": qty,
                    "mode": mode}).action_confirm()
        except UserError as error:
            # Keeping deposits that are not held is refused, nothing done.
            self.assertEqual(mode, "deposit")
            self.assertIn("Deposits are held for only", str(error))
            return
        self.expected[partner]["lost"] += qty

    def _step_rental(self, draw, partner, step):
        today = fields.Date.today()
        next_month = date(today.year + today.month // 12, today.month % 12 + 1, 1)
        rental = self.env["returnable.asset.rental"]
        rental._cron_invoice_rental(today=next_month)
        self.assertFalse(rental._cron_invoice_rental(today=next_month), "a period is invoiced once")

    # Invariants ------------------------------------------------------------------------
    def _values(self, records, names):
        return {record.id: {name: record[name].ids if isinstance(record[name], models.BaseModel) else record[name]
                            for name in names} for record in records}

    def _check_stored_values(self):
        """What is stored is what a fresh computation gives: every stored computed field of the addon's
        models (read from the database, then recomputed), and every balance (rebuilt from the moves and
        the ledger). A stale value means an @api.depends or a rebuild that misses what the code reads."""
        self.env.flush_all()
        self.env.invalidate_all()
        for model_name in sorted(self.env.registry.models):
            model = self.env[model_name].with_context(active_test=False)
            if model._abstract or model._transient or not model._auto:
                continue
            names = [name for name, field in model._fields.items()
                     if field.store and field.compute and field._module == "reverse_logistics_assets"]
            if not names:
                continue
            records = model.search([])
            stored = self._values(records, names)
            for name in names:
                self.env.add_to_compute(model._fields[name], records)
            records._recompute_recordset(names)
            self.env.flush_all()
            self.env.invalidate_all()
            self.assertEqual(self._values(records, names), stored, f"{model_name}: stored computed fields")
        balances = self.env["returnable.asset.balance"].search([])
        names = [name for name in balances._get_protected_fields() if balances._fields[name].store
                 and name not in ("date_last_followup", "last_followup_aging", "deposit_refund_queued",
                                  "deposit_refund_user_id")]
        stored = self._values(balances, names)
        balances._recompute(balances.partner_id)
        self.env.flush_all()
        self.env.invalidate_all()
        self.assertEqual(self._values(balances, names), stored, "balances: rebuilt from moves and the ledger")

    def _check_invariants(self):
        self.env.invalidate_all()
        for partner in self.partners:
            e = self.expected[partner]
            balance = self._balance(partner)
            if not balance:
                self.assertEqual(e["out"], 0)
                continue
            # balance = out - back - lost, as the test counted them, never negative.
            self.assertEqual((balance.qty_out, balance.qty_back, balance.qty_lost), (e["out"], e["back"], e["lost"]))
            self.assertEqual(balance.balance, e["out"] - e["back"] - e["lost"])
            self.assertGreaterEqual(balance.balance, 0)
            self.assertEqual(balance.qty_surplus + balance.qty_surplus_pending, e["surplus"])
            # The deposit account, read from the journal: never more refunded or kept than charged.
            lines = self.env["account.move.line"].search([
                ("account_id", "=", self.deposit_account.id), ("partner_id", "=", partner.id),
                ("parent_state", "=", "posted")])
            credits, debits = lines.filtered(lambda aml: aml.balance < 0), lines.filtered(lambda aml: aml.balance > 0)
            charged_qty, given_back_qty = sum(credits.mapped("quantity")), sum(debits.mapped("quantity"))
            charged, given_back = -sum(credits.mapped("balance")), sum(debits.mapped("balance"))
            self.assertLessEqual(given_back_qty, charged_qty + 1e-6)
            self.assertLessEqual(given_back, charged + 0.005)
            # The ledger: refunded <= charged per partner and type; liability = charged - refunded - kept.
            deposits = self.env["returnable.asset.deposit"].search([("partner_id", "=", partner.id)])
            self.assertAlmostEqual(sum(deposits.mapped("quantity")), charged_qty)
            refunded = sum(s.amount for s in deposits.settlement_ids if s.kind == "refund")
            kept = sum(s.amount for s in deposits.settlement_ids if s.kind == "kept")
            ledger_charged = sum(d.quantity * d.unit_amount for d in deposits)
            self.assertLessEqual(balance.deposit_qty_refunded + balance.deposit_qty_forfeited,
                                 balance.deposit_qty_charged + 1e-6)
            self.assertAlmostEqual(float_round(charged - given_back, 2),
                                   float_round(ledger_charged - refunded - kept, 2))
            self.assertAlmostEqual(balance.deposit_held, float_round(charged - given_back, 2))
            for deposit in deposits:
                self.assertGreaterEqual(deposit.qty_held, 0)
                self.assertLessEqual(deposit.qty_refunded + deposit.qty_kept, deposit.quantity + 1e-6)
        # Every pallet is somewhere: what left and what came back, surpluses included.
        out = sum(e["out"] for e in self.expected.values())
        self.assertEqual(self._pallets_in_stock(), self.stock_before - out + self.physical_back)
