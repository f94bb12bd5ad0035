"""Who may call what over RPC: every public method the addons define or override, per model.

`tests/test_rpc_rights.py` finds the RPC-callable methods by introspection (public name, not `@api.private`,
defined or overridden in a module of `odoo.addons.reverse_logistics*`) and calls each one as every role
below, through `odoo.api.call_kw` as `/web/dataset/call_kw` does, with forged context keys. The roles in
a row's `who` must get through (and the forged keys must change nothing of the outcome); every other role
must be refused with an AccessError. A public method without a row fails the test: add one line here.

A row: `row(fixture, who, *args, **kwargs)`.
- `fixture` names the records the method is called on: `_on_<fixture>(user)` in the test (records made as
  the superuser, or created as the caller for wizards); None for `@api.model` methods.
- `who`: the roles allowed. Arguments may be callables of the test (`lambda t: t.grade_b.id`).
- `pending="..."`: the refusals of a row another helper owns are not asserted yet (its allowed roles
  still must get through); remove it with the fix.
Models that are only mixins (never called on records of their own) are listed in ABSTRACT with why.
"""
from collections import namedtuple

from odoo.exceptions import AccessError, UserError

from .test_role_matrix import ROLES as MATRIX_ROLES

# The role matrix's roles, and the combinations that jobs hold in practice.
ROLES = {
    **MATRIX_ROLES,
    "returns_reporting": "reverse_logistics.group_return_reporting",
    "returns_manager_salesman": "reverse_logistics.group_return_manager,sales_team.group_sale_salesman",
    "returns_user_billing": "reverse_logistics.group_return_user,account.group_account_invoice",
}

NOBODY = frozenset()
MANAGERS = frozenset({"returns_manager", "inventory_manager", "returns_manager_salesman"})
# Returns User and the groups implying it (Recall and Assets Managers are Returns Users).
RETURNS_STAFF = MANAGERS | {"returns_user", "recall_manager", "assets_manager", "returns_user_billing"}
SALES = frozenset({"salesman_own", "salesman_all"})
RECALL = frozenset({"recall_manager"})
ASSETS = frozenset({"assets_manager"})
BILLING = frozenset({"billing", "accountant", "returns_user_billing"})
STOCK = RETURNS_STAFF | {"inventory_user"}
# Who reads a return: its staff, the salespeople of its order, the Reporting group, its customer.
RETURN_READERS = RETURNS_STAFF | SALES | {"returns_reporting", "portal"}
# Protected fields are refused with a UserError naming them, to those who may write the model.
FLOW_REFUSAL = (AccessError, UserError)

Row = namedtuple("Row", "on who args kwargs pending refusal allowed_error")


def row(on, who, *args, pending=None, refusal=AccessError, allowed_error=None, **kwargs):
    """`refusal`: the exception(s) that count as a refusal (protected fields are refused with a
    UserError naming them). `allowed_error`: a regex of the UserError an allowed role may get instead
    of success, where the fixture cannot reach the method's happy path (the row says why)."""
    return Row(on, frozenset(who), args, kwargs, pending, refusal, allowed_error)


RIGHTS = {
    "return.order": {
        "action_submit": row("draft_return", RETURNS_STAFF | SALES),
        "action_approve": row("submitted_return", MANAGERS),
        "action_reject": row("submitted_return", MANAGERS),
        "action_override_window": row("submitted_return", MANAGERS),
        "action_cancel": row("approved_return", RETURNS_STAFF | SALES),
        "action_draft": row("cancelled_return", RETURNS_STAFF | SALES),
        "action_reopen_expired": row("expired_return", MANAGERS),
        "action_close_receipt": row("receiving_return", RETURNS_STAFF),
        # reverse_logistics_delivery: the returns team asks the carrier again (the fixture's policy names
        # no carrier, so an allowed role gets the UserError saying there is nothing to retry).
        "action_retry_return_label": row("approved_return", RETURNS_STAFF,
                                         allowed_error="whose carrier made no label yet"),
        "action_create_credit_note": row("approved_return", {"returns_user_billing"}),
        "action_dispose": row("received_return", RETURNS_STAFF),
        # Views and prints: whoever reads the return and what the action lists.
        "action_print_slip": row("approved_return", RETURN_READERS - {"portal"}),  # on the portal: its route
        "action_open_grading_station": row("received_return", RETURNS_STAFF),
        "action_view_receipts": row("approved_return", RETURNS_STAFF | SALES | {"portal"}),
        "action_view_credit_notes": row("approved_return", SALES | {"returns_user_billing", "portal",
                                                                    "returns_manager_salesman"}),
        "action_view_exchange_orders": row("approved_return", RETURNS_STAFF | SALES | {"portal"}),
        "action_view_gradings": row("received_return", RETURNS_STAFF | {"returns_reporting"}),
        "create": row(None, RETURNS_STAFF | SALES, lambda t: t._new_return_vals()),
        "write": row("draft_return", RETURNS_STAFF | SALES, {"note": "<p>Checked</p>"}),
        "message_new": row(None, NOBODY, lambda t: t._mail_dict(), {"state": "done"}),
        "message_post": row("draft_return", RETURNS_STAFF | SALES, body="Seen.", message_type="comment"),
        # reverse_logistics_3pl: the returns team for any client; a brand's portal user for its own goods
        # only (the fixture's brand is nobody's here, so the portal role is refused).
        "action_announce_client_return": row(None, RETURNS_STAFF, lambda t: t._announce_vals()),
        # Blind parcels: received and matched by the returns team only (a brand announces, never receives).
        "action_receive_blind_parcel": row(None, RETURNS_STAFF, lambda t: t._blind_parcel_vals()),
        "action_match_announced_return": row("blind_parcel", RETURNS_STAFF, lambda t: t.blind_announced.id),
    },
    "return.announcement.import": {"action_import": row("announcement_import", RETURNS_STAFF)},
    "return.blind.parcel.receive": {"action_receive": row("blind_parcel_receive", RETURNS_STAFF)},
    "return.blind.parcel.match": {"action_match": row("blind_parcel_match", RETURNS_STAFF)},
    # reverse_logistics_3pl: the handling fees invoiced to clients, by Returns Managers (the fixture holds
    # no fee event: the allowed roles are told so).
    # reverse_logistics_3pl: a brand's disposition terms, the Returns Managers' configuration (create, write and
    # unlink clear the terms' cache).
    "return.client.disposition": {
        "create": row(None, MANAGERS, lambda t: t._new_client_terms_vals()),
        "write": row("client_terms", MANAGERS, {"recovery_share": 50.0}),
        "unlink": row("client_terms", MANAGERS),
    },
    "return.client.fee.event": {
        "action_invoice_client_fees": row(None, MANAGERS, allowed_error="Nothing to invoice"),
    },
    "return.order.line": {
        # Naming salesman_own's delivery: a Returns Manager limited to his own sales does not read it.
        "create": row(None, (RETURNS_STAFF | SALES) - {"returns_manager_salesman"}, lambda t: t._new_line_vals()),
        "write": row("draft_line", RETURNS_STAFF | SALES, {"note": "Scratched"}),
    },
    "return.order.create": {
        "default_get": row(None, RETURNS_STAFF | SALES, ["partner_id", "sale_order_id"]),
        # On an order of salesman_own: a Returns Manager limited to his own sales does not read it.
        "action_create_return": row("create_wizard", (RETURNS_STAFF | SALES) - {"returns_manager_salesman"}),
        "action_create_return_all": row("create_wizard", (RETURNS_STAFF | SALES) - {"returns_manager_salesman"}),
    },
    "return.order.reject": {"action_confirm": row("reject_wizard", MANAGERS)},
    "return.policy.override": {"action_confirm": row("override_wizard", MANAGERS)},
    "return.policy": {"message_new": row(None, NOBODY, lambda t: t._mail_dict(), {"name": "Forged"})},
    "return.grading": {
        "action_decide": row("graded_unit", RETURNS_STAFF),
        "action_dispose": row("graded_unit", RETURNS_STAFF),
        "action_regrade": row("restocked_unit", RETURNS_STAFF, lambda t: t.grade_b.id),
        "action_repackaging_done": row("repackaged_unit", RETURNS_STAFF),
        "create": row(None, RETURNS_STAFF, lambda t: t._new_grading_vals()),
        "write": row("graded_unit", RETURNS_STAFF, {"note": "Dent on the side"}),
    },
    "return.grading.station": {
        "get_grades": row(None, RETURNS_STAFF | {"returns_reporting"}),
        "get_queue": row(None, RETURNS_STAFF),
        "scan": row(None, RETURNS_STAFF, lambda t: t.received_return.name),
        "grade": row(None, RETURNS_STAFF, lambda t: t.received_return.line_ids.id, lambda t: t.grade_a.id, 1),
    },
    "return.liquidation.sale": {"action_confirm": row("liquidation_wizard", {"returns_manager_salesman"})},
    "return.analysis": {"action_open_return": row("analysis_row", RETURNS_STAFF | {"returns_reporting"})},
    "weee.register": {
        "action_compute": row("weee_register", MANAGERS),
        "action_open_last_period": row(None, MANAGERS),
        "action_export_xlsx": row("weee_register", MANAGERS),
        "action_print_pdf": row("weee_register", MANAGERS),
    },
    "weee.register.line": {
        "action_view_returns": row("weee_line", MANAGERS),
        "action_view_gradings": row("weee_line", MANAGERS),
    },
    # Odoo's own buttons, which the addons extend (assets on confirmation, the expiry check on validation):
    # Odoo's rights decide (stock users confirm quotations and validate transfers, sales and purchase
    # users validate theirs); salesman_own's quotation is not the Returns Manager salesman's.
    "sale.order": {
        "action_create_return_order": row("sale", (RETURNS_STAFF | SALES) - {"returns_manager_salesman"}),
        "action_view_return_orders": row("sale", (RETURNS_STAFF | SALES | {"portal"}) - {"returns_manager_salesman"}),
        "action_confirm": row("quotation", (STOCK | SALES) - {"returns_manager_salesman"}),
    },
    "stock.picking": {
        # Only a recall's quarantine or release makes its transfers (recall_campaign_id).
        "create": row(None, NOBODY, lambda t: t._new_recall_transfer_vals(), refusal=FLOW_REFUSAL),
        "write": row("draft_transfer", NOBODY, lambda t: {"recall_campaign_id": t.campaign_active.id},
                     refusal=FLOW_REFUSAL),
        "action_create_return_order": row("delivery", (RETURNS_STAFF | SALES) - {"returns_manager_salesman"}),
        "button_validate": row("ready_transfer", STOCK | SALES | {"billing", "accountant", "purchase_user"}),
        "action_confirm": row("draft_transfer", STOCK | SALES | {"purchase_user"}),
    },
    "stock.warehouse": {"get_rules_dict": row("warehouse", STOCK | SALES | {"billing", "accountant", "purchase_user",
                                                                          "returns_reporting"})},
    "repair.order": {
        "action_repair_done": row("repair", STOCK),
        "action_repair_cancel": row("repair", STOCK),
    },
    "res.company": {"create": row(None, NOBODY, {"name": "Walk Company"})},
    # reverse_logistics_recall: every action is the Recall Manager's, on the server, in the states it allows.
    "recall.campaign": {
        # Nothing of a recall, its consignees, policies or balances is created by e-mail (message_process
        # is public): refused to everyone.
        "message_new": row(None, NOBODY, lambda t: t._mail_dict(), {"title": "Forged"}),
        "create": row(None, RECALL, lambda t: t._new_campaign_vals()),
        "write": row("campaign_draft", RECALL, {"reason": "Walk, reworded"}),
        "action_add_lots_from_dates": row("campaign_by_dates", RECALL),
        "action_trace": row("campaign_draft", RECALL),
        "action_preview_trace": row("campaign_draft", RECALL | RETURNS_STAFF),
        "action_mock_recall": row("campaign_draft", RECALL),
        "action_activate": row("campaign_traced", RECALL),
        # Quarantine Again on an active campaign whose stock is all in quarantine: nothing to move.
        "action_quarantine": row("campaign_active", RECALL, allowed_error="already in quarantine|Nothing"),
        "action_release_quarantine": row("campaign_active", RECALL),
        "action_monitor": row("campaign_active", RECALL),
        "action_close": row("campaign_active", RECALL),
        # No consignee added by a re-trace in the fixture: the button gets through its checks and says so.
        "action_notify_new_consignees": row("campaign_active", RECALL, allowed_error="was notified"),
        "action_export_fsma204": row("campaign_traced", RECALL | RETURNS_STAFF),
        "action_view_returns": row("campaign_traced", RECALL | RETURNS_STAFF),
    },
    "recall.consignee": {
        "message_new": row(None, NOBODY, lambda t: t._mail_dict(), {"state": "acknowledged"}),
        # Consignees, their exposure and the trace history are the trace's: nobody writes them by hand
        # (recall.exposure and recall.trace.run are read-only to everyone by their access rights, so they
        # define no create or write; reverse_logistics_recall/tests/test_recall_rpc.py tries them).
        "create": row(None, NOBODY, lambda t: t._new_consignee_vals(), refusal=FLOW_REFUSAL),
        "write": row("active_consignee", NOBODY, {"units_held": 99.0}, refusal=FLOW_REFUSAL),
        "action_notify": row("active_consignee", RECALL),
        # The fixture's consignee has not answered: the Recall Manager gets through to the answer check.
        "action_create_return": row("active_consignee", RECALL, allowed_error="answer|answered|responded"),
        "action_record_answer": row("active_consignee", RECALL),
        "action_confirm_destruction": row("active_consignee", RECALL),
    },
    "recall.consignee.answer": {"action_confirm": row("answer_wizard", RECALL)},
    # Nothing destroyed is given in the fixture: the Recall Manager gets through to the quantity check.
    "recall.consignee.destruction": {"action_confirm": row("destruction_wizard", RECALL,
                                                           allowed_error="Give the units destroyed")},
    "recall.effectiveness.check": {
        "create": row(None, RECALL, lambda t: t._new_check_vals()),
        "write": row("effectiveness_check", RECALL, {"note": "Called back"}),
    },
    # reverse_logistics_assets: balances and deposits as the record rules allow; money moves are the accountant's.
    "res.partner": {
        "action_view_asset_balances": row("asset_customer", RETURNS_STAFF | SALES | BILLING),
        "action_return_assets": row("asset_customer", RETURNS_STAFF),
    },
    "returnable.asset.balance": {
        "message_new": row(None, NOBODY, lambda t: t._mail_dict(), {"balance": 99}),
        # Nothing returned in the fixture: the refund gets through the checks and finds nothing to credit.
        "action_refund_deposits": row("asset_balance", BILLING, allowed_error="No deposit is left"),
        "action_accept_surplus": row("asset_balance", ASSETS, allowed_error="No surplus waits"),
        "create": row(None, NOBODY, lambda t: t._new_balance_vals(), refusal=FLOW_REFUSAL),
        "write": row("asset_balance", NOBODY, {"balance": 0}, refusal=FLOW_REFUSAL),
    },
    "returnable.asset.rental": {
        "create": row(None, NOBODY, lambda t: t._new_rental_vals(), refusal=FLOW_REFUSAL),
        "write": row("asset_rental", NOBODY, {"unit_days": 0}, refusal=FLOW_REFUSAL),
    },
    "returnable.asset.type": {
        "message_new": row(None, NOBODY, lambda t: t._mail_dict(), {"name": "Forged"}),
        "create": row(None, ASSETS, lambda t: t._new_asset_type_vals()),
        "write": row("asset_type", ASSETS, {"grace_days": 45}),
    },
    "returnable.asset.loss": {"action_confirm": row("loss_wizard", ASSETS)},
    "returnable.asset.return": {"action_confirm": row("asset_return_wizard", RETURNS_STAFF)},
    # Odoo's models the assets addon guards: what the counting wrote is nobody's to write by hand; the rest
    # follows Odoo's own rights (resetting an invoice is the accountant's).
    "account.move": {"button_draft": row("asset_invoice", BILLING)},
    "account.move.line": {
        "create": row(None, NOBODY, lambda t: t._new_deposit_line_vals(), refusal=FLOW_REFUSAL),
        "write": row("asset_invoice_line", NOBODY, {"asset_settlement_kind": "kept"}, refusal=FLOW_REFUSAL),
    },
    "stock.move": {
        "create": row(None, NOBODY, lambda t: t._new_asset_move_vals(), refusal=FLOW_REFUSAL),
        "write": row("asset_move", NOBODY, {"asset_qty": 99.0}, refusal=FLOW_REFUSAL),
    },
    "stock.lot": {
        # The fixture's lot is no asset back for cleaning or repair: the staff get through to that check.
        "action_asset_available": row("asset_lot", RETURNS_STAFF, allowed_error="cleaning or repair"),
        "create": row(None, NOBODY, lambda t: t._new_asset_lot_vals(), refusal=FLOW_REFUSAL),
        "write": row("asset_lot", NOBODY, {"asset_state": "lost"}, refusal=FLOW_REFUSAL),
    },
    "packaging.reuse.register": {
        "action_compute": row("packaging_register", ASSETS),
        "action_open_last_period": row(None, ASSETS),
        "action_export_xlsx": row("packaging_register", ASSETS),
        "action_print_pdf": row("packaging_register", ASSETS),
    },
    "packaging.reuse.register.line": {"action_view_trips": row("packaging_line", ASSETS)},
    # Customer behaviour and defect signals (issue 26): the system computes them; managers act on them.
    "return.customer.behaviour": {
        "action_recompute": row("customer_behaviour", MANAGERS),
        "action_recompute_partner": row(None, MANAGERS, lambda t: t.customer.id),
    },
    "return.defect.signal": {
        "create": row(None, NOBODY, lambda t: {"product_id": t.product.id, "company_id": t.company.id},
                      refusal=FLOW_REFUSAL),
        "write": row("defect_signal", MANAGERS, {"note": "<p>Vendor called</p>"}),
        # The walk's lot is quarantined by its recall and has no vendor: the refusal of the step is the outcome.
        "action_quality_hold": row("defect_signal", MANAGERS, allowed_error="no lot to hold|No free unit"),
        "action_claim_vendor": row("defect_signal", MANAGERS, allowed_error="no vendor|holds no unit"),
        "action_close": row("defect_signal", MANAGERS),
        "action_create_recall": row("defect_signal", RECALL),
    },
}

ABSTRACT = {
    "reverse.logistics.compliance.register.mixin": "the registers' exports: walked on weee.register and "
                                                   "packaging.reuse.register",
}
