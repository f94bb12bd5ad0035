from odoo import api, fields, models

# Who reads the allocations: accountants (Billing, or read-only Accounting) and Returns Managers.
CREDIT_ALLOCATION_READERS = "account.group_account_invoice,account.group_account_readonly," \
    "reverse_logistics.group_return_manager"


class ReturnCreditAllocation(models.Model):
    """Where the returned units of a line went when the return was credited: the invoice line each batch
    of units was credited against and the credit note line that credits it, or that the units were never
    invoiced (credited nothing; they lower what is left to invoice on the sale).

    Made by the system only, inside `return.order._create_credit_notes`, from the allocation that built
    the credit notes, so that the audit trail is the decision itself and not a re-derivation. Nobody
    writes or deletes them (read-only access); quantities and amounts are frozen when the credit note is
    made. A cancelled credit note leaves its allocations in place, shown cancelled: the credit note keeps
    its number in the journal, and the auditor reads that these units were credited there, then cancelled
    (they no longer count as credited, as the credit note line no longer does). A draft credit note
    deleted takes its allocations with it: it never was in the books."""

    _name = "return.credit.allocation"
    _description = "Return Credit Allocation"
    _order = "id desc"
    _check_company_auto = True
    _rec_name = "return_line_id"

    return_line_id = fields.Many2one(
        "return.order.line", required=True, readonly=True, index=True,
        ondelete="cascade", check_company=True,
    )
    order_id = fields.Many2one(related="return_line_id.order_id", store=True, index=True, string="Return")
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    partner_id = fields.Many2one(related="return_line_id.order_id.partner_id", string="Customer")
    # The return line's product and unit when credited: a fact, not a view of the line.
    product_id = fields.Many2one("product.product", required=True, readonly=True)
    qty = fields.Float(string="Quantity", digits="Product Unit of Measure", required=True, readonly=True)
    product_uom_id = fields.Many2one("uom.uom", string="Unit", required=True, readonly=True)
    kind = fields.Selection(
        [("credited", "Credited"), ("not_invoiced", "Never Invoiced")], required=True, readonly=True,
        help="Credited: the units are credited by the credit note line (against the invoice line that "
        "billed them, when the return has a sale). Never Invoiced: delivered but never invoiced, so "
        "credited nothing.",
    )
    invoice_line_id = fields.Many2one(
        "account.move.line", readonly=True, index="btree_not_null", ondelete="restrict",
        help="The invoice line that billed the units; empty when they were never invoiced, or for a return "
        "without a sale (credited at the return line's own price).",
    )
    invoice_id = fields.Many2one(
        "account.move", readonly=True, index="btree_not_null", ondelete="restrict")
    credit_note_line_id = fields.Many2one(
        "account.move.line", readonly=True, index="btree_not_null",
        ondelete="cascade",
    )
    credit_note_id = fields.Many2one(
        "account.move", readonly=True, index="btree_not_null", ondelete="cascade")
    currency_id = fields.Many2one("res.currency", readonly=True)
    amount = fields.Monetary(
        string="Amount Credited", currency_field="currency_id", readonly=True,
        help="Untaxed amount of the credit note line for these units, in the credit note's currency, when "
        "it was made (the restocking fee and the shares of the invoice's discounts are lines of their own).",
    )
    state = fields.Selection(
        [("draft", "Draft Credit Note"), ("done", "Done"), ("cancel", "Cancelled")],
        compute="_compute_state", store=True, index=True,
        help="Follows the credit note: draft until it is posted, cancelled when it is. Units never invoiced "
        "are done when found.",
    )

    @api.depends("kind", "credit_note_id.state")
    def _compute_state(self):
        for allocation in self:
            note_state = allocation.credit_note_id.state
            if allocation.kind == "not_invoiced" or note_state == "posted":
                allocation.state = "done"
            elif note_state == "cancel":
                allocation.state = "cancel"
            else:
                allocation.state = "draft"
