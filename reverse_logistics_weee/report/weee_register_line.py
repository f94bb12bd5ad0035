from collections import defaultdict

from odoo import api, fields, models

from ..models.product_template import WEEE_CATEGORIES
from ..models.return_disposition import WEEE_TREATMENTS

# Minimum targets of Annex V, Part 3 of the WEEE Directive 2012/19/EU (from 15 August 2018), by Annex III
# category, in percent of the weight of WEEE collected and sent for treatment:
# (recovered, prepared for re-use and recycled). Lamps have no recovery target (None).
ANNEX_V_TARGETS = {
    "1": (85.0, 80.0),
    "2": (80.0, 70.0),
    "3": (None, 80.0),
    "4": (85.0, 80.0),
    "5": (75.0, 55.0),
    "6": (75.0, 55.0),
}


class WeeeRegisterLine(models.TransientModel):
    """One WEEE category of a register: what was collected, how it was treated, against Annex V."""

    _name = "weee.register.line"
    _description = "WEEE Register Line"
    _order = "weee_category"

    register_id = fields.Many2one("weee.register", required=True, ondelete="cascade")
    weee_category = fields.Selection(WEEE_CATEGORIES, string="Category", required=True)
    units_household = fields.Float(string="Units Collected (Household)", digits="Product Unit of Measure")
    units_business = fields.Float(string="Units Collected (Business)", digits="Product Unit of Measure")
    kg_household = fields.Float(string="kg Collected (Household)", digits="Stock Weight")
    kg_business = fields.Float(string="kg Collected (Business)", digits="Stock Weight")
    kg_collected = fields.Float(string="kg Collected", digits="Stock Weight")
    kg_reuse = fields.Float(string="kg Prepared for Re-use", digits="Stock Weight")
    kg_recycling = fields.Float(string="kg Recycled", digits="Stock Weight")
    kg_recovery = fields.Float(string="kg Otherwise Recovered", digits="Stock Weight")
    kg_disposal = fields.Float(string="kg Disposed Of", digits="Stock Weight")
    kg_treated = fields.Float(string="kg Treated", digits="Stock Weight")
    recovery_rate = fields.Float(string="Recovery Rate (%)", digits=(5, 2))
    recovery_target = fields.Float(string="Recovery Target (%)", digits=(5, 2),
                                   help="Annex V target; 0 when the Directive sets none (lamps).")
    recycling_rate = fields.Float(string="Re-use and Recycling Rate (%)", digits=(5, 2))
    recycling_target = fields.Float(string="Re-use and Recycling Target (%)", digits=(5, 2))
    targets_met = fields.Boolean(help="Both rates reach the Annex V targets (nothing treated: not met).")
    move_ids = fields.Many2many("stock.move", string="Receipts Behind the Collected Figures")
    grading_ids = fields.Many2many("return.grading", string="Units Behind the Treatment Figures")

    # ------------------------------------------------------------------
    # Computation: from the records, at any date (nothing stored on the way)
    # ------------------------------------------------------------------
    @api.model
    def _get_takeback_domain(self, company):
        return [("company_id", "=", company.id), ("product_id.weee_category", "!=", False)]

    @api.model
    def _get_collected_moves(self, company, start, end):
        """Done receipt moves of take-backs in the period: the units collected."""
        return self.env["stock.move"].search(self._get_takeback_domain(company) + [
            ("state", "=", "done"),
            ("return_line_id.order_id.is_weee_takeback", "=", True),
            ("location_dest_id.usage", "=", "internal"),
            ("date", ">=", start), ("date", "<", end),
        ])

    @api.model
    def _get_treated_gradings(self, company, start, end):
        """{grading: quantity} of the treatments that ran in the period.

        Each unit counts once, by its latest disposition: a regrade carries no disposition of its own and
        leaves the treatment of the grading it replaces standing, while a later grading that was
        dispositioned again takes its place. A disposition cancelled (repair or vendor shipment
        cancelled) puts its units back to 'graded' and clears its date: they count as treated only once
        a disposition runs again.
        """
        gradings = self.env["return.grading"]
        candidates = gradings.search(self._get_takeback_domain(company) + [
            ("order_id.is_weee_takeback", "=", True),
            ("state", "!=", "graded"),
            ("weee_treatment", "!=", False),
            ("date_dispositioned", ">=", start), ("date_dispositioned", "<", end),
        ])
        # Follow the regrades down from each candidate: one of them dispositioned again replaces it.
        replaced = gradings
        descendants = gradings.search([("previous_grading_id", "in", candidates.ids)])
        while descendants:
            redisposed = descendants.filtered("disposition_id")
            for grading in redisposed:
                origin = grading.previous_grading_id
                while origin.previous_grading_id and origin not in candidates:
                    origin = origin.previous_grading_id
                replaced |= origin
            descendants = gradings.search([("previous_grading_id", "in", (descendants - redisposed).ids)])
        return {grading: grading.quantity for grading in candidates - replaced}

    @api.model
    def _prepare_register_lines(self, company, start, end):
        """Values of the six lines (every Annex III category, also those with nothing to report)."""
        values = {
            code: defaultdict(float, weee_category=code, move_ids=self.env["stock.move"],
                              grading_ids=self.env["return.grading"])
            for code, _label in WEEE_CATEGORIES
        }
        for move in self._get_collected_moves(company, start, end):
            vals = values[move.product_id.weee_category]
            source = move.return_line_id.order_id.weee_source or "household"
            vals[f"units_{source}"] += move.product_qty
            # The weight stored when the move was done, never the product's of today.
            vals[f"kg_{source}"] += move.return_weight
            vals["move_ids"] |= move
        for grading, quantity in self._get_treated_gradings(company, start, end).items():
            vals = values[grading.product_id.weee_category]
            # The treatment and weight frozen when the disposition ran.
            unit_weight = grading.weight / grading.quantity if grading.quantity else 0.0
            vals[f"kg_{grading.weee_treatment}"] += quantity * unit_weight
            vals["grading_ids"] |= grading
        vals_list = []
        for code, vals in values.items():
            vals["kg_collected"] = vals["kg_household"] + vals["kg_business"]
            treated = sum(vals[f"kg_{treatment}"] for treatment, _label in WEEE_TREATMENTS)
            vals["kg_treated"] = treated
            recovered = vals["kg_reuse"] + vals["kg_recycling"] + vals["kg_recovery"]
            recycled = vals["kg_reuse"] + vals["kg_recycling"]
            vals["recovery_rate"] = 100.0 * recovered / treated if treated else 0.0
            vals["recycling_rate"] = 100.0 * recycled / treated if treated else 0.0
            recovery_target, recycling_target = ANNEX_V_TARGETS[code]
            vals["recovery_target"] = recovery_target or 0.0
            vals["recycling_target"] = recycling_target
            vals["targets_met"] = bool(treated) and vals["recovery_rate"] >= (recovery_target or 0.0) \
                and vals["recycling_rate"] >= recycling_target
            vals["move_ids"] = [fields.Command.set(vals["move_ids"].ids)]
            vals["grading_ids"] = [fields.Command.set(vals["grading_ids"].ids)]
            vals_list.append(dict(vals))
        return vals_list

    # ------------------------------------------------------------------
    # Drill-down, with the user's own rights
    # ------------------------------------------------------------------
    def action_view_returns(self):
        self.ensure_one()
        self.check_access("read")
        # Ids read as the system (receipt moves need Inventory rights); the list opens with the user's.
        orders = self.sudo().move_ids.return_line_id.order_id
        action = self.env["ir.actions.actions"]._for_xml_id("reverse_logistics.action_return_order")
        action.update(domain=[("id", "in", orders.ids)], context={"create": False})
        return action

    def action_view_gradings(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.actions"]._for_xml_id("reverse_logistics.action_return_grading")
        action.update(domain=[("id", "in", self.grading_ids.ids)], context={"create": False})
        return action
