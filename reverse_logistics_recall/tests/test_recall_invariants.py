"""Property-based test: random recall histories keep the recall's invariants after every step.

Deliveries, then units sent back before activation (Odoo's Return wizard, receipts from the customer),
re-traces, activation, and after it random steps: returns by every path (Odoo's wizard, receipts from the
customer, recall returns), destruction on site, answers, re-traces and attempts to ship or put away recalled
units. After each step:
- effectiveness = (retrieved + destroyed) / shipped, each figure as this test counts it from what it did:
  shipped = delivered less sent back before activation; retrieved = sent back after it, by any path;
- no quant of the recalled lot outside quarantine while the recall is active;
- no consignee without units exposed.

CI runs the "ci" profile of reverse_logistics (fixed seed, ~20 examples); HYPOTHESIS_PROFILE=long runs more.
"""
from contextlib import closing

from hypothesis import given, note, settings
from hypothesis import strategies as st

from odoo import Command
from odoo.addons.reverse_logistics.tests.test_credit_invariants import PROFILE
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import float_compare

from .roles_common import RecallRolesCommon


@tagged("post_install", "-at_install")
class TestRecallInvariants(RecallRolesCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.buyers = cls.env["res.partner"].create([
            {"name": f"Shop {name}", "email": f"shop.{name.lower()}@example.com", "is_company": True}
            for name in ("North", "South", "East")])
        cls.repair = cls.env.ref("reverse_logistics_recall.remedy_repair")
        # Valued manually: the invariants are about units, and the journal entries of automated valuation
        # would make most of each example's time.
        cls.beans = cls._create_rl_product("Prop Beans", cost=5.0, price=12.0, tracking="lot",
                                           categ_id=cls.env.ref("product.product_category_all").id)

    @settings(PROFILE)
    @given(data=st.data())
    def test_random_recall_histories(self, data):
        # Each example in a savepoint rolled back at the end: examples never see each other.
        with closing(self.env.cr.savepoint()):
            self._run_history(data.draw)
        self.env.invalidate_all()

    # ------------------------------------------------------------------
    # Flows, as the clerk and the Recall Manager do them
    # ------------------------------------------------------------------
    def _deliver(self, partner, qty):
        picking = self.env["stock.picking"].with_user(self.clerk).create({
            "picking_type_id": self.warehouse.out_type_id.id, "partner_id": partner.id,
            "location_id": self.stock_location.id, "location_dest_id": self.customer_location.id,
            "move_ids": [Command.create({
                "name": "beans", "product_id": self.beans.id, "product_uom_qty": qty,
                "product_uom": self.beans.uom_id.id, "location_id": self.stock_location.id,
                "location_dest_id": self.customer_location.id,
                "move_line_ids": [Command.create({
                    "product_id": self.beans.id, "lot_id": self.lot.id, "quantity": qty,
                    "location_id": self.stock_location.id, "location_dest_id": self.customer_location.id})],
            })],
        })
        picking.action_confirm()
        picking.move_ids.picked = True
        picking.button_validate()
        return picking

    def _customer_receipt(self, partner, qty, destination):
        """A plain receipt from the customer's location, not tied to any delivery."""
        picking = self.env["stock.picking"].with_user(self.clerk).create({
            "picking_type_id": self.warehouse.in_type_id.id, "partner_id": partner.id,
            "location_id": self.customer_location.id, "location_dest_id": destination.id,
            "move_ids": [Command.create({
                "name": "beans back", "product_id": self.beans.id, "product_uom_qty": qty,
                "product_uom": self.beans.uom_id.id, "location_id": self.customer_location.id,
                "location_dest_id": destination.id,
                "move_line_ids": [Command.create({
                    "product_id": self.beans.id, "lot_id": self.lot.id, "quantity": qty,
                    "location_id": self.customer_location.id, "location_dest_id": destination.id})],
            })],
        })
        picking.action_confirm()
        picking.move_ids.picked = True
        picking.button_validate()
        return picking

    def _sent_back(self, draw, label, destination):
        """One of the partners sends units back by Odoo's wizard or a plain receipt; returns (partner, qty)."""
        candidates = [(p, d) for p in self.partners for d in self.deliveries[p]
                      if min(self.delivery_left[d], self._held(p)) > 0]
        if not candidates:
            return None, 0
        partner, delivery = draw(st.sampled_from(candidates), label=f"{label}: who")
        qty = draw(st.integers(1, min(self.delivery_left[delivery], self._held(partner))), label=f"{label}: qty")
        if draw(st.booleans(), label=f"{label}: Odoo's wizard (else a receipt)"):
            self._return_with_odoo_wizard(self.clerk, delivery, qty, self.lot, destination=destination)
            self.delivery_left[delivery] -= qty
        else:
            self._customer_receipt(partner, qty, destination)
        return partner, qty

    def _held(self, partner):
        return self.delivered[partner] - self.before[partner] - self.retrieved[partner] - self.destroyed[partner]

    # ------------------------------------------------------------------
    def _run_history(self, draw):
        self.lot = self._stock_in(self.beans, 40, f"PROP-{self.env['stock.lot'].search_count([])}")
        count = draw(st.integers(1, 3), label="consignees")
        self.partners = self.buyers[:count]
        self.deliveries = {p: [] for p in self.partners}
        self.delivered, self.before, self.retrieved, self.destroyed = ({p: 0 for p in self.partners} for _ in range(4))
        self.delivery_left = {}
        for partner in self.partners:
            for index in range(draw(st.integers(1, 2), label=f"{partner.name}: deliveries")):
                qty = draw(st.integers(1, 4), label=f"{partner.name}: delivery {index}")
                delivery = self._deliver(partner, qty)
                self.deliveries[partner].append(delivery)
                self.delivery_left[delivery] = qty
                self.delivered[partner] += qty
        campaign = self._as(self.recall_manager, self._campaign(
            product_ids=[Command.set(self.beans.ids)], lot_ids=[Command.set(self.lot.ids)],
            remedy_ids=[Command.set((self.remedies[0] | self.repair).ids)]))
        for step in range(draw(st.integers(0, 2), label="returns before activation")):
            partner, qty = self._sent_back(draw, f"before {step}", self.stock_location)
            if partner:
                self.before[partner] += qty
            if draw(st.booleans(), label=f"before {step}: trace"):
                campaign.action_trace()
        if campaign.state == "draft":
            campaign.action_trace()
        campaign.action_activate()
        self._check(campaign, "activation")
        for step in range(draw(st.integers(1, 5), label="steps after activation")):
            action = draw(st.sampled_from(
                ["sent back", "recall return", "destroy", "answer", "retrace", "ship", "put away"]),
                label=f"step {step}")
            note(f"step {step}: {action}")
            getattr(self, "_step_" + action.replace(" ", "_"))(draw, campaign, f"step {step}")
            self._check(campaign, f"step {step}: {action}")
        # Whatever happened, a last re-trace finds the same figures.
        campaign.action_trace()
        self._check(campaign, "final re-trace")

    def _step_sent_back(self, draw, campaign, label):
        holding = any(min(self.delivery_left[d], self._held(p)) > 0 for p in self.partners for d in self.deliveries[p])
        if holding and draw(st.booleans(), label=f"{label}: tried into stock first"):
            with self.assertRaisesRegex(UserError, "quarantined by recall"):
                self._sent_back(draw, f"{label} (stock)", self.stock_location)
        partner, qty = self._sent_back(draw, label, self.quarantine)
        if partner:
            self.retrieved[partner] += qty

    def _consignees_holding(self, campaign):
        return [c for c in campaign.consignee_ids if self._held(c.partner_id) > 0]

    def _step_recall_return(self, draw, campaign, label):
        candidates = [c for c in self._consignees_holding(campaign) if not c.return_order_ids]
        if not candidates:
            return
        consignee = draw(st.sampled_from(candidates), label=f"{label}: consignee")
        held = draw(st.integers(1, int(self._held(consignee.partner_id))), label=f"{label}: units held")
        consignee._register_response(float(held), self.repair, method="phone")
        recall_return = consignee.action_create_return()
        lines = recall_return.line_ids
        self.assertLessEqual(sum(lines.mapped("product_uom_qty")), held)
        self._receive_as(self.clerk, recall_return.receipt_ids)
        for line in lines:
            self.delivery_left[line.origin_move_id.picking_id] -= line.product_uom_qty
        self.retrieved[consignee.partner_id] += sum(lines.mapped("product_uom_qty"))

    def _step_destroy(self, draw, campaign, label):
        candidates = self._consignees_holding(campaign)
        if not candidates:
            return
        consignee = draw(st.sampled_from(candidates), label=f"{label}: consignee")
        qty = draw(st.integers(1, int(self._held(consignee.partner_id))), label=f"{label}: destroyed")
        consignee._confirm_destroyed({consignee.exposure_ids: float(qty)})
        self.destroyed[consignee.partner_id] += qty

    def _step_answer(self, draw, campaign, label):
        if not campaign.consignee_ids:
            return
        consignee = draw(st.sampled_from(campaign.consignee_ids), label=f"{label}: consignee")
        held = self._held(consignee.partner_id)
        units = draw(st.integers(0, int(held) + 2), label=f"{label}: units declared")
        if units > held:
            with self.assertRaisesRegex(UserError, "cannot hold more"):
                consignee._register_response(float(units), self.repair, method="phone")
        else:
            consignee._register_response(float(units), self.repair, method="letter")

    def _step_retrace(self, draw, campaign, label):
        campaign.action_trace()

    def _step_ship(self, draw, campaign, label):
        with self.assertRaisesRegex(UserError, "quarantined by recall"):
            picking = self.env["stock.picking"].with_user(self.clerk).create({
                "picking_type_id": self.warehouse.out_type_id.id, "partner_id": self.partners[0].id,
                "location_id": self.quarantine.id, "location_dest_id": self.customer_location.id,
                "move_ids": [Command.create({
                    "name": "beans", "product_id": self.beans.id, "product_uom_qty": 1,
                    "product_uom": self.beans.uom_id.id, "location_id": self.quarantine.id,
                    "location_dest_id": self.customer_location.id, "picked": True,
                    "move_line_ids": [Command.create({
                        "product_id": self.beans.id, "lot_id": self.lot.id, "quantity": 1,
                        "location_id": self.quarantine.id, "location_dest_id": self.customer_location.id})],
                })],
            })
            picking.button_validate()

    def _step_put_away(self, draw, campaign, label):
        with self.assertRaisesRegex(UserError, "quarantined by recall"):
            self._customer_receipt(self.partners[0], 1, self.stock_location) if self._held(self.partners[0]) \
                else self.env["stock.quant"].with_context(inventory_mode=True).create({
                    "product_id": self.beans.id, "location_id": self.stock_location.id, "lot_id": self.lot.id,
                    "inventory_quantity": 1}).action_apply_inventory()

    # ------------------------------------------------------------------
    def _check(self, campaign, when):
        self.env.invalidate_all()
        shipped = sum(self.delivered[p] - self.before[p] for p in self.partners)
        retrieved, destroyed = sum(self.retrieved.values()), sum(self.destroyed.values())
        note(f"{when}: shipped {shipped}, retrieved {retrieved}, destroyed {destroyed}")
        self.assertEqual((campaign.units_shipped, campaign.units_retrieved, campaign.units_destroyed),
                         (shipped, retrieved, destroyed), when)
        expected = 100.0 * (retrieved + destroyed) / shipped if shipped else 0.0
        self.assertEqual(float_compare(campaign.effectiveness, expected, precision_digits=6), 0, when)
        for consignee in campaign.consignee_ids:
            partner = consignee.partner_id
            exposed = self.delivered[partner] - self.before[partner]
            self.assertEqual((consignee.units_exposed, consignee.units_retrieved, consignee.units_destroyed),
                             (exposed, self.retrieved[partner], self.destroyed[partner]), (when, partner.name))
            self.assertGreater(exposed, 0, "a consignee has units exposed")
        self.assertEqual(
            set(campaign.consignee_ids.partner_id.ids),
            {p.id for p in self.partners if self.delivered[p] - self.before[p] > 0}, when)
        outside = self.env["stock.quant"].search([
            ("lot_id", "=", self.lot.id), ("location_id.usage", "=", "internal"), ("quantity", ">", 0),
            ("location_id", "!=", self.quarantine.id)])
        self.assertFalse(outside, f"{when}: recalled units outside quarantine: {outside.location_id.mapped('name')}")
