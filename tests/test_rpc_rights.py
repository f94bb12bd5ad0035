"""Every RPC-callable method of the addons, called as every role, with forged context keys, against the
table of who may call what (`tests/rpc_rights.py`).

The methods are found by introspecting the registry, not listed by hand: a public method added to a
model of the addons without a row in the table fails `test_every_public_method_has_a_row`. Each call is
made as `/web/dataset/call_kw` makes it (`get_public_method`, then `odoo.api.call_kw` with the context
in the keyword arguments), in a savepoint rolled back afterwards, on records in the state the method
acts on. A role in the row's `who` must get through, and get the same outcome (states and counts of the
flow's documents, the records' values) as without the forged keys; every other role must be refused
with an AccessError. `RL_RPC_RIGHTS_MATRIX=1` prints what each role got.
"""
import base64
import logging
import os
import re
from collections import defaultdict

from odoo import Command, api, fields
from odoo.addons.reverse_logistics.tests.common import ReverseLogisticsCommon
from odoo.exceptions import AccessError, UserError
from odoo.service.model import get_public_method
from odoo.tests import new_test_user, tagged

from .rpc_rights import ABSTRACT, RIGHTS, ROLES

_logger = logging.getLogger(__name__)

# Every context key the addons read (grep `context.get(` / `with_context(` in them), with the value an
# attacker would send, and context defaults of what only the flow sets.
FORGED_CONTEXT = {
    "reverse_logistics_batch_id": 1,
    "return_resolution_base_field": "product_uom_qty",
    "recall_release": True,
    "recall_campaign_id": 1,
    "recall_reassign_move_ids": [1],
    "asset_no_deposit_refund": True,
    "default_state": "done",
    "default_policy_override": True,
    "default_requested_by_mail": True,
    "default_qty_received": 99.0,
    "default_recovery_value": 1e6,
}
# What the forged keys must not change: the states (and so the counts) of the flow's documents...
SNAPSHOT_TABLES = {
    "return.order": "state", "return.order.line": None, "return.grading": "state", "stock.picking": "state",
    "stock.move": "state", "stock.scrap": "state", "account.move": "state", "sale.order": "state",
    "repair.order": "state", "recall.campaign": "state",
    "recall.consignee": "state", "recall.effectiveness.check": None, "returnable.asset.balance": None,
    "returnable.asset.deposit": None, "returnable.asset.rental": None, "mail.mail": None,
}
# ... and the values of the records called on (dates and texts aside: they differ from call to call).
SNAPSHOT_TYPES = ("selection", "boolean", "integer", "float", "monetary", "many2one")


# Guards every model inherits, which grant nothing and have tests of their own: the number check of create and
# write (tests/test_numbers_everywhere.py) and the mail gateway's message_process refused to users
# (reverse_logistics/tests/test_return_mail_trust.py).
GUARD_MODULES = ("odoo.addons.reverse_logistics.models.base", "odoo.addons.reverse_logistics.models.mail_thread")


def _project_methods(env):
    """{model: {method: {addon}}} of the RPC-callable methods (as `/web/dataset/call_kw` decides:
    `get_public_method`) defined or overridden by the addons, with the addons that define them."""
    found = defaultdict(dict)
    for model_name in env.registry:
        cls = env.registry[model_name]
        for name in dir(cls):
            if name.startswith("_"):
                continue
            addons = {
                klass.__dict__[name].__module__.split(".")[2] for klass in cls.__mro__
                if callable(klass.__dict__.get(name))
                and getattr(klass.__dict__[name], "__module__", "").startswith("odoo.addons.reverse_logistics")
                and klass.__dict__[name].__module__ not in GUARD_MODULES
            }
            if not addons:
                continue
            try:
                get_public_method(env[model_name], name)
            except AccessError:
                continue  # @api.private, or init: never callable remotely
            found[model_name][name] = addons
    return found


@tagged("post_install", "-at_install")
class TestRpcRights(ReverseLogisticsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        env.user.groups_id += env.ref("reverse_logistics_recall.group_recall_manager") \
            + env.ref("reverse_logistics_assets.group_asset_manager")
        company = cls.company
        cls.customer = env["res.partner"].create({"name": "Walk Customer", "email": "walk@example.com"})
        cls.users = {
            role: new_test_user(env, login=f"rl_walk_{role}", groups=groups, company_id=company.id,
                                company_ids=[Command.set(company.ids)], email=f"walk.{role}@example.com",
                                **({"partner_id": cls.customer.id} if role == "portal" else {}))
            for role, groups in ROLES.items()
        }
        cls.grade_a = env.ref("reverse_logistics.grade_a")
        cls.grade_b = env.ref("reverse_logistics.grade_b")
        cls.policy.write({"auto_approve_max_amount": 150.0, "refund_step": "receipt"})
        cls._stock_in(cls.product, 60)
        cls.sale, cls.delivery, _invoice = cls._sell([(cls.product, 30, 100.0, 0.0)], partner=cls.customer)
        cls.sale.user_id = cls.users["salesman_own"]
        cls._build_returns()
        cls._build_documents()
        cls._build_recall()
        cls._build_assets()
        # reverse_logistics_3pl: a client brand whose returns are announced, and a product it names by code.
        cls.rpc_brand = env["res.partner"].create({"name": "RPC Brand", "is_company": True})
        cls.product.default_code = "RPC-ESP"
        # A blind parcel of the brand and the brand's announcement it is matched to (other contents: neither
        # is matched by itself, nor by the announcement row's lines).
        clerk_orders = env["return.order"].with_user(cls.users["returns_user"])
        cls.blind_parcel = env["return.order"].browse(clerk_orders.action_receive_blind_parcel(
            {"client_id": cls.rpc_brand.id, "lines": [{"product": "RPC-ESP", "qty": 2}]})["id"])
        cls.blind_announced = env["return.order"].browse(clerk_orders.action_announce_client_return({
            "client_id": cls.rpc_brand.id, "client_ref": "WEB-BLIND-1", "customer": {"name": "Shopper"},
            "lines": [{"product": "RPC-ESP", "qty": 3}]})["id"])

    # ------------------------------------------------------------------
    # Fixtures, as the superuser
    # ------------------------------------------------------------------
    @classmethod
    def _return(cls, qty, submit=True):
        wizard = cls.env["return.order.create"].create({
            "sale_order_id": cls.sale.id, "partner_id": cls.customer.id, "company_id": cls.company.id})
        wizard._set_quantities({wizard.line_ids: qty})
        wizard.reason_id = cls.reason_defect
        ret = wizard._create_return_order()
        if submit:
            ret.action_submit()
        return ret

    @classmethod
    def _graded(cls, ret, disposition=None):
        station = cls.env["return.grading.station"]
        grading = cls.env["return.grading"].browse(station.grade(ret.line_ids.id, cls.grade_a.id, 1)["grading_id"])
        if disposition:
            grading.disposition_id = cls.env.ref(f"reverse_logistics.disposition_{disposition}")
            grading.action_dispose()
        return grading

    @classmethod
    def _build_returns(cls):
        cls.draft_return = cls._return(2, submit=False)
        cls.submitted_return = cls._return(2)
        cls.approved_return = cls._return(1)
        cls.receiving_return = cls._return(2)
        cls.receiving_return.action_approve()
        cls._receive_cls(cls.receiving_return.receipt_ids, 1)
        cls.cancelled_return = cls._return(1)
        cls.cancelled_return.action_cancel()
        cls.expired_return = cls._return(1)
        cls.expired_return._action_expire()
        cls.received_return = cls._return(6)
        cls.received_return.action_approve()
        cls._receive_cls(cls.received_return.receipt_ids, 6)
        cls.graded_unit = cls._graded(cls.received_return)
        cls.restocked_unit = cls._graded(cls.received_return, "restock")
        cls.repackaged_unit = cls._graded(cls.received_return, "repackage")
        cls.liquidated_unit = cls._graded(cls.received_return, "liquidate")
        cls.env.ref("reverse_logistics.disposition_refurbish").sudo()
        cls.product.can_be_refurbished = True
        cls.refurbished_unit = cls._graded(cls.received_return, "refurbish")
        cls.repair = cls.refurbished_unit.repair_id
        cls.repair.action_repair_start()

    @classmethod
    def _receive_cls(cls, picking, qty):
        picking.move_ids.quantity = qty
        picking.move_ids.picked = True
        res = picking.with_context(cancel_backorder=False).button_validate()
        if isinstance(res, dict) and res.get("res_model") == "stock.backorder.confirmation":
            cls.env["stock.backorder.confirmation"].with_context(res["context"]).create({}).process()

    @classmethod
    def _build_documents(cls):
        env = cls.env
        register = env["weee.register"].create({"company_id": cls.company.id})
        register.action_compute()
        cls.weee_line = register.line_ids[:1]
        cls.quotation = env["sale.order"].create({
            "partner_id": cls.customer.id, "user_id": cls.users["salesman_own"].id, "company_id": cls.company.id,
            "order_line": [Command.create({"product_id": cls.product.id, "product_uom_qty": 1})]})
        def internal():
            return {"picking_type_id": cls.warehouse.int_type_id.id, "location_id": cls.stock_location.id,
                    "location_dest_id": cls.stock_location.id, "move_ids": [Command.create({
                        "name": "move", "product_id": cls.product.id, "product_uom_qty": 1,
                        "location_id": cls.stock_location.id, "location_dest_id": cls.stock_location.id})]}
        cls.draft_transfer = env["stock.picking"].create(internal())
        cls.ready_transfer = env["stock.picking"].create(internal())
        cls.ready_transfer.action_confirm()
        cls.ready_transfer.action_assign()
        cls.ready_transfer.move_ids.picked = True

    @classmethod
    def _build_recall(cls):
        env = cls.env
        cls.recall_lot = cls._stock_in(cls.product_lot, 20, "WALK-LOT")
        order = env["sale.order"].create({
            "partner_id": cls.customer.id, "company_id": cls.company.id, "warehouse_id": cls.warehouse.id,
            "order_line": [Command.create({"product_id": cls.product_lot.id, "product_uom_qty": 5})]})
        order.action_confirm()
        picking = order.picking_ids
        picking.action_assign()
        picking.move_ids.move_line_ids.lot_id = cls.recall_lot
        picking.move_ids.picked = True
        picking.button_validate()
        supplier = env.ref("stock.stock_location_suppliers")
        receipt = env["stock.picking"].create({
            "picking_type_id": cls.warehouse.in_type_id.id, "partner_id": cls.partner_b.id,
            "location_id": supplier.id, "location_dest_id": cls.stock_location.id,
            "move_ids": [Command.create({"name": "beans", "product_id": cls.product_lot.id, "product_uom_qty": 2,
                                         "location_id": supplier.id, "location_dest_id": cls.stock_location.id})]})
        receipt.action_confirm()
        receipt.move_ids.move_line_ids.lot_id = env["stock.lot"].create({
            "name": "WALK-LOT-2", "product_id": cls.product_lot.id, "company_id": cls.company.id})
        receipt.move_ids.picked = True
        receipt.button_validate()
        campaign = env["recall.campaign"]
        cls.campaign_draft = campaign.create(cls._new_campaign_vals())
        cls.campaign_by_dates = campaign.create(dict(
            cls._new_campaign_vals(), lot_ids=False, lot_date_from=fields.Date.today(),
            lot_date_to=fields.Date.add(fields.Date.today(), days=1)))
        cls.campaign_traced = campaign.create(cls._new_campaign_vals())
        cls.campaign_traced.action_trace()
        cls.consignee = cls.campaign_traced.consignee_ids[:1]
        cls.campaign_active = campaign.create(cls._new_campaign_vals())
        cls.campaign_active.action_trace()
        cls.campaign_active.action_activate()
        cls.active_consignee = cls.campaign_active.consignee_ids[:1]
        cls.effectiveness_check = env["recall.effectiveness.check"].create(cls._new_check_vals())

    @classmethod
    def _build_assets(cls):
        env = cls.env
        account = env["account.account"].create({
            "name": "Walk deposits", "code": "RLWALK", "account_type": "liability_current",
            "company_ids": [Command.set(cls.company.ids)]})
        pallet = cls._create_rl_product("Walk Pallet", cost=8.0, price=10.0, taxes_id=False)
        cls.asset_type = env["returnable.asset.type"].create({
            "name": "Walk pallet", "product_id": pallet.id, "company_id": cls.company.id, "deposit_price": 10.0,
            "deposit_account_id": account.id, "grace_days": 30})
        water = cls._create_rl_product("Walk Water", cost=2.0, price=5.0)
        water.returnable_asset_ids = [Command.create({"asset_type_id": cls.asset_type.id, "units_per_asset": 10})]
        cls._stock_in(pallet, 20)
        cls._stock_in(water, 100)
        order = env["sale.order"].create({
            "partner_id": cls.customer.id, "company_id": cls.company.id, "warehouse_id": cls.warehouse.id,
            "order_line": [Command.create({"product_id": water.id, "product_uom_qty": 20})]})
        order.action_confirm()
        order.picking_ids.action_assign()
        order.picking_ids.move_ids.picked = True
        order.picking_ids.button_validate()
        order._create_invoices().action_post()
        cls.asset_balance = env["returnable.asset.balance"]._get_balance(cls.customer, cls.asset_type)
        packaging = env["packaging.reuse.register"].create({"company_id": cls.company.id})
        packaging.action_compute()
        cls.packaging_line = packaging.line_ids[:1]
        cls.asset_lot = cls.recall_lot
        cls.asset_invoice = order.invoice_ids[:1]
        cls.asset_invoice_line = cls.asset_invoice.invoice_line_ids[:1]
        cls.asset_move = order.picking_ids.move_ids.filtered("asset_type_id")[:1] or order.picking_ids.move_ids[:1]
        cls.asset_rental = env["returnable.asset.rental"].sudo().create(cls._new_rental_vals())

    # Values of the creations walked
    @classmethod
    def _new_campaign_vals(cls):
        return {
            "title": "Walk recall", "company_id": cls.company.id, "product_ids": [Command.set(cls.product_lot.ids)],
            "lot_ids": [Command.set(cls.env["stock.lot"].search([("name", "=", "WALK-LOT")]).ids)],
            "reason": "Walk", "remedy_ids": [Command.set(
                (cls.env.ref("reverse_logistics_recall.remedy_refund")
                 | cls.env.ref("reverse_logistics_recall.remedy_replace")).ids)],
        }

    @classmethod
    def _new_check_vals(cls):
        return {"campaign_id": cls.campaign_active.id, "consignee_id": cls.active_consignee.id, "method": "phone",
                "result": "effective"}

    @classmethod
    def _new_rental_vals(cls):
        return {"partner_id": cls.partner_b.id, "asset_type_id": cls.asset_type.id,
                "period_start": "2026-01-01", "period_end": "2026-01-31", "unit_days": 3, "amount": 3.0}

    def _new_deposit_line_vals(self):
        return {"move_id": self.asset_invoice.id, "name": "Forged settlement", "asset_settlement_kind": "refund",
                "asset_deposit_id": self.env["returnable.asset.deposit"].search([], limit=1).id}

    def _new_asset_move_vals(self):
        return {"name": "Forged count", "product_id": self.asset_type.product_id.id, "product_uom_qty": 1,
                "location_id": self.stock_location.id, "location_dest_id": self.customer_location.id,
                "asset_qty": 5.0, "asset_partner_id": self.customer.id}

    def _new_asset_lot_vals(self):
        return {"name": "FORGED-K9", "product_id": self.product_serial.id, "company_id": self.company.id,
                "asset_state": "lost"}

    def _new_consignee_vals(self):
        return {"campaign_id": self.campaign_active.id, "partner_id": self.partner_b.id}

    def _new_exposure_vals(self):
        return {"campaign_id": self.campaign_active.id, "product_id": self.product_lot.id,
                "lot_id": self.recall_lot.id, "partner_id": self.partner_b.id, "qty_shipped": 5.0}

    def _new_recall_transfer_vals(self):
        return {"picking_type_id": self.warehouse.int_type_id.id, "location_id": self.stock_location.id,
                "location_dest_id": self.stock_location.id, "recall_campaign_id": self.campaign_active.id}

    def _new_return_vals(self):
        return {"partner_id": self.customer.id,
                "return_type_id": self.env.ref("reverse_logistics.return_type_distributor").id,
                "line_ids": [Command.create({
            "product_id": self.product.id, "product_uom_qty": 1, "reason_id": self.reason_defect.id})]}

    def _announce_vals(self):
        return {"client_id": self.rpc_brand.id, "client_ref": "WEB-1001", "customer": {"name": "Shopper"},
                "lines": [{"product": "RPC-ESP", "qty": 1, "price": 20.0}]}

    def _blind_parcel_vals(self):
        return {"client_id": self.rpc_brand.id, "lines": [{"product": "RPC-ESP", "qty": 1}]}

    def _new_line_vals(self):
        return {"order_id": self.draft_return.id, "product_id": self.product.id, "product_uom_qty": 1,
                "origin_move_id": self.delivery.move_ids.id, "sale_line_id": self.sale.order_line.id}

    def _new_grading_vals(self):
        return {"line_id": self.received_return.line_ids.id, "grade_id": self.grade_a.id, "quantity": 1}

    def _new_balance_vals(self):
        return {"partner_id": self.partner_b.id, "asset_type_id": self.asset_type.id}

    def _new_asset_type_vals(self):
        return {"name": "Walk crate", "product_id": self.product_serial.id, "company_id": self.company.id,
                "deposit_price": 5.0, "deposit_account_id": self.asset_type.deposit_account_id.id}

    def _mail_dict(self):
        return {"email_from": "walk@example.com", "subject": "Walk", "body": "x", "author_id": self.customer.id}

    # Records each row is called on; wizards are created by the caller, as the web client does.
    def _on_draft_return(self, user):
        return self.draft_return

    def _on_customer_behaviour(self, user):
        return self.env["return.customer.behaviour"]._recompute(self.customer, self.company)

    def _on_defect_signal(self, user):
        return self.env["return.defect.signal"].sudo().create({
            "product_id": self.product_lot.id, "company_id": self.company.id, "qty_returned": 3,
            "qty_delivered": 10, "rate": 30.0, "lot_ids": [Command.set(self.recall_lot.ids)]})

    def _on_submitted_return(self, user):
        return self.submitted_return

    def _on_approved_return(self, user):
        return self.approved_return

    def _on_cancelled_return(self, user):
        return self.cancelled_return

    def _on_expired_return(self, user):
        return self.expired_return

    def _on_receiving_return(self, user):
        return self.receiving_return

    def _on_received_return(self, user):
        return self.received_return

    def _on_draft_line(self, user):
        return self.draft_return.line_ids

    def _on_graded_unit(self, user):
        return self.graded_unit

    def _on_restocked_unit(self, user):
        return self.restocked_unit

    def _on_repackaged_unit(self, user):
        return self.repackaged_unit

    def _new_client_terms_vals(self):
        return {"client_id": self.rpc_brand.id, "company_id": self.company.id, "recovery_share": 40.0,
                "disposition_id": self.env.ref("reverse_logistics.disposition_liquidate").id}

    def _on_client_terms(self, user):
        terms = self.env["return.client.disposition"]
        restock = self.env.ref("reverse_logistics.disposition_restock")
        return terms.search([("client_id", "=", self.rpc_brand.id), ("disposition_id", "=", restock.id)]) \
            or terms.create({"client_id": self.rpc_brand.id, "company_id": self.company.id,
                             "disposition_id": restock.id, "recovery_share": 80.0})

    def _on_blind_parcel(self, user):
        return self.blind_parcel

    def _on_announcement_import(self, user):
        csv_text = "order_ref,customer_name,product,qty\nWEB-CSV-1,Shopper,RPC-ESP,1\n"
        return self.env["return.announcement.import"].with_user(user).create({
            "client_id": self.rpc_brand.id, "file": base64.b64encode(csv_text.encode())})

    def _on_blind_parcel_receive(self, user):
        return self.env["return.blind.parcel.receive"].with_user(user).create({
            "client_id": self.rpc_brand.id, "line_ids": [Command.create({"product_id": self.product.id, "qty": 1})]})

    def _on_blind_parcel_match(self, user):
        return self.env["return.blind.parcel.match"].with_user(user).create({
            "parcel_id": self.blind_parcel.id, "announced_id": self.blind_announced.id})

    def _on_create_wizard(self, user):
        wizard = self.env["return.order.create"].with_user(user).create({
            "sale_order_id": self.sale.id, "partner_id": self.customer.id, "company_id": self.company.id})
        wizard.line_ids.quantity = 1
        return wizard

    def _on_reject_wizard(self, user):
        return self.env["return.order.reject"].with_user(user).create({
            "return_order_ids": [Command.set(self.submitted_return.ids)], "reason": "No"})

    def _on_override_wizard(self, user):
        return self.env["return.policy.override"].with_user(user).create({
            "return_order_id": self.submitted_return.id, "reason": "Loyal customer"})

    def _on_liquidation_wizard(self, user):
        return self.env["return.liquidation.sale"].with_user(user).create({
            "grading_ids": [Command.set(self.liquidated_unit.ids)], "partner_id": self.partner_b.id, "amount": 20})

    def _on_analysis_row(self, user):
        return self.env["return.analysis"].search([("order_id", "=", self.received_return.id)], limit=1)

    def _on_weee_register(self, user):
        return self.env["weee.register"].with_user(user).create({"company_id": self.company.id})

    def _on_weee_line(self, user):
        return self.weee_line

    def _on_sale(self, user):
        return self.sale

    def _on_quotation(self, user):
        return self.quotation

    def _on_delivery(self, user):
        return self.delivery

    def _on_ready_transfer(self, user):
        return self.ready_transfer

    def _on_draft_transfer(self, user):
        return self.draft_transfer

    def _on_warehouse(self, user):
        return self.warehouse

    def _on_repair(self, user):
        return self.repair

    def _on_campaign_draft(self, user):
        return self.campaign_draft

    def _on_campaign_by_dates(self, user):
        return self.campaign_by_dates

    def _on_campaign_traced(self, user):
        return self.campaign_traced

    def _on_campaign_active(self, user):
        return self.campaign_active

    def _on_consignee(self, user):
        return self.consignee

    def _on_active_consignee(self, user):
        return self.active_consignee

    def _on_exposure(self, user):
        return self.campaign_active.exposure_ids[:1]

    def _on_trace_run(self, user):
        return self.env["recall.trace.run"].search([("campaign_id", "=", self.campaign_active.id)], limit=1)

    def _on_answer_wizard(self, user):
        return self.env["recall.consignee.answer"].with_user(user).create({
            "consignee_id": self.active_consignee.id, "method": "phone", "units_held": 0})

    def _on_destruction_wizard(self, user):
        return self.env["recall.consignee.destruction"].with_user(user).create({
            "consignee_id": self.active_consignee.id})

    def _on_effectiveness_check(self, user):
        return self.effectiveness_check

    def _on_asset_rental(self, user):
        return self.asset_rental

    def _on_asset_invoice(self, user):
        return self.asset_invoice

    def _on_asset_invoice_line(self, user):
        return self.asset_invoice_line

    def _on_asset_move(self, user):
        return self.asset_move

    def _on_asset_customer(self, user):
        return self.customer

    def _on_asset_balance(self, user):
        return self.asset_balance

    def _on_asset_type(self, user):
        return self.asset_type

    def _on_loss_wizard(self, user):
        return self.env["returnable.asset.loss"].with_user(user).create({
            "partner_id": self.customer.id, "asset_type_id": self.asset_type.id, "quantity": 1, "mode": "deposit"})

    def _on_asset_return_wizard(self, user):
        return self.env["returnable.asset.return"].with_user(user).create({
            "partner_id": self.customer.id, "warehouse_id": self.warehouse.id,
            "line_ids": [Command.create({"asset_type_id": self.asset_type.id, "quantity": 1})]})

    def _on_asset_lot(self, user):
        return self.asset_lot

    def _on_packaging_register(self, user):
        return self.env["packaging.reuse.register"].with_user(user).create({"company_id": self.company.id})

    def _on_packaging_line(self, user):
        return self.packaging_line

    # ------------------------------------------------------------------
    # The walk
    # ------------------------------------------------------------------
    def _snapshot(self, records):
        cr = self.env.cr
        counts = {}
        for model, state in SNAPSHOT_TABLES.items():
            if model not in self.env:
                continue
            table = self.env[model]._table
            cr.execute(f"SELECT {state or 'NULL'}, count(*) FROM {table} GROUP BY 1 ORDER BY 1")  # noqa: S608
            counts[model] = cr.fetchall()
        values = []
        if records:
            records = records.sudo().exists()
            names = [name for name, field in records._fields.items()
                     if field.store and field.type in SNAPSHOT_TYPES and name != "id"
                     and not name.startswith(("create_", "write_", "message_", "activity_", "cycle_time"))]
            # Records made during the call get new ids each time: compared by name.
            values = [{name: value[1] if isinstance(value, tuple) else value for name, value in record.items()
                       if name in names} for record in records.read(names)]
        return counts, values

    def _call(self, model, method, rule, role, context):
        """(outcome, detail): "ok" with the snapshot, "refused" on an AccessError, else "error"."""
        user = self.users[role]
        self.env.flush_all()
        savepoint = self.env.cr.savepoint(flush=False)
        try:
            records = getattr(self, f"_on_{rule.on}")(user) if rule.on else self.env[model]
            records = self.env[model].with_user(user).browse(records.ids)
            get_public_method(records, method)
            args = [arg(self) if callable(arg) else arg for arg in rule.args]
            kwargs = {name: value(self) if callable(value) else value for name, value in rule.kwargs.items()}
            is_model_method = getattr(getattr(type(records), method), "_api", None) in ("model", "model_create")
            call_args = args if is_model_method else [records.ids, *args]
            ctx = {"allowed_company_ids": self.company.ids, **context}
            api.call_kw(records, method, call_args, {**kwargs, "context": ctx})
            self.env.flush_all()
            return "ok", self._snapshot(records)
        except rule.refusal as exc:
            if os.environ.get("RL_RPC_RIGHTS_TRACE"):
                _logger.warning("%s.%s as %s refused", model, method, role, exc_info=True)
            return "refused", str(exc).splitlines()[0]
        except Exception as exc:  # noqa: BLE001 - any other outcome is reported with the row
            message = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            if isinstance(exc, UserError) and rule.allowed_error and re.search(rule.allowed_error, str(exc)):
                return "ok", message
            return "error", message
        finally:
            savepoint.close(rollback=True)
            self.env.clear()

    @staticmethod
    def _diff(forged, clean):
        if not isinstance(forged, tuple) or not isinstance(clean, tuple):
            return f"{forged} / {clean}"
        (forged_counts, forged_values), (clean_counts, clean_values) = forged, clean
        changed = [f"{model}: {forged_counts[model]} instead of {clean_counts.get(model)}"
                   for model in forged_counts if forged_counts[model] != clean_counts.get(model)]
        for forged_record, clean_record in zip(forged_values, clean_values, strict=False):
            changed += [f"{name}: {value!r} instead of {clean_record.get(name)!r}"
                        for name, value in forged_record.items() if value != clean_record.get(name)]
        return "; ".join(changed)

    def test_every_public_method_has_a_row(self):
        found = _project_methods(self.env)
        missing = sorted(f"{model}.{method}" for model, methods in found.items() for method in methods
                         if model not in ABSTRACT and method not in RIGHTS.get(model, {}))
        stale = sorted(f"{model}.{method}" for model, methods in RIGHTS.items() for method in methods
                       if method not in found.get(model, ()))
        self.assertFalse(missing, "public methods without a row in tests/rpc_rights.py")
        self.assertFalse(stale, "rows of tests/rpc_rights.py without a public method")
        addons = set().union(*(addons for methods in found.values() for addons in methods.values()))
        # reverse_logistics_mrp and the dashboard add no public method today: a new one would be missing.
        self.assertEqual(addons, {"reverse_logistics", "reverse_logistics_recall", "reverse_logistics_assets",
                                  "reverse_logistics_weee", "reverse_logistics_3pl", "reverse_logistics_delivery"})

    def test_walk_every_public_method_as_every_role(self):
        problems, pending, matrix = [], [], []
        for model, methods in RIGHTS.items():
            for method, rule in methods.items():
                line, found = [], pending if rule.pending else problems
                for role in ROLES:
                    outcome, detail = self._call(model, method, rule, role, FORGED_CONTEXT)
                    line.append(outcome[0].upper() if outcome != "ok" else "o")
                    allowed = role in rule.who
                    if allowed and outcome != "ok":
                        found.append(f"{model}.{method} as {role}: {outcome} ({detail})")
                    elif allowed:
                        clean, clean_detail = self._call(model, method, rule, role, {})
                        if clean != "ok" or clean_detail != detail:
                            found.append(f"{model}.{method} as {role}: the forged context changed the outcome: "
                                         f"{self._diff(detail, clean_detail)}")
                    elif outcome != "refused":
                        found.append(f"{model}.{method} as {role}: {outcome} "
                                     f"({detail if outcome != 'ok' else ''}), not refused")
                matrix.append(f"{model + '.' + method:<60} {''.join(line)}{'  pending' if rule.pending else ''}")
        if os.environ.get("RL_RPC_RIGHTS_MATRIX"):
            print("\n".join([" " * 61 + "".join(role[:1] for role in ROLES), *matrix,  # noqa: T201
                             "Pending (owned by another helper):", *pending]))
        self.assertFalse(problems, "\n" + "\n".join(problems))
