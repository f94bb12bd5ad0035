from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_compare, float_is_zero


class RecallCampaign(models.Model):
    """Quarantine: at activation (and again on demand) the affected stock on hand goes into its
    warehouse's quarantine; while the recall is active and not released, an affected lot of the
    campaign's company goes nowhere but into quarantine, to scrap or back to its vendor
    (`stock.move.line._check_recall_quarantine`); release sends the company's own units back to stock
    and the units retrieved from consignees to their disposition."""

    _inherit = "recall.campaign"

    # ------------------------------------------------------------------
    # Quarantine
    # ------------------------------------------------------------------
    def action_quarantine(self):
        """Quarantine Again: move what is on hand of the affected lots outside quarantine into it (stock a
        re-trace found, units released earlier); the recall blocks its lots again if it was released."""
        self._check_recall_manager()
        self._check_not_mock(self.env._("nothing is quarantined"))
        self._check_state(("active", "monitoring"), self.env._("stock is quarantined while the recall is active"))
        for campaign in self:
            released = bool(campaign.date_released)
            if released:
                campaign.sudo().date_released = False
            moved = campaign._quarantine()
            if not moved and not released:
                raise UserError(self.env._(
                    "Every unit of %(name)s's lots on hand is already in quarantine.", name=campaign.name))
            if released:
                campaign.message_post(body=self.env._(
                    "Quarantine restored by %(user)s: the recall blocks its lots again.", user=self.env.user.name))
        return True

    def _quarantine(self):
        """Move affected stock on hand into quarantine, taking it off open pickings first; return the
        number of stock records moved (or queued).

        Above the configured size (system parameter reverse_logistics.batch_limit.quarantine, in
        quants) the moves are made by the background batch cron, chunk by chunk."""
        limit = self.env["reverse.logistics.batch"]._get_size_limit("quarantine", 1000)
        count = 0
        for campaign in self.filtered(lambda c: c.state in ("active", "monitoring") and not c.is_mock):
            lots = campaign._get_affected_lots()
            reserved = self.env["stock.move.line"].search([
                ("lot_id", "in", lots.ids), ("state", "not in", ("done", "cancel")),
                ("location_id.usage", "=", "internal"), ("company_id", "=", campaign.company_id.id),
            ])
            unreserved_moves = reserved.move_id
            unreserved_moves._do_unreserve()
            quants = self.env["stock.quant"]._get_recall_quarantine_quants(lots, campaign.company_id)
            count += len(quants)
            if limit and len(quants) > limit:
                batch = self.env["reverse.logistics.batch"]._queue(
                    quants, "_recall_move_to_quarantine",
                    self.env._("Quarantine of %(name)s", name=campaign.name), origin=campaign,
                    chunk_size=self.env["reverse.logistics.batch"]._get_size_limit("quarantine_chunk", 200),
                    context={"recall_campaign_id": campaign.id, "recall_reassign_move_ids": unreserved_moves.ids},
                )
                campaign.message_post(body=self.env._(
                    "Quarantine of %(count)s stock records queued (%(batch)s); %(moves)s reservations released.",
                    count=len(quants), batch=batch.name, moves=len(unreserved_moves)))
                continue
            units = sum(quants.mapped("quantity"))
            quants.with_context(recall_campaign_id=campaign.id)._recall_move_to_quarantine()
            # Open moves that lost their reservation look for unaffected stock again.
            unreserved_moves.exists()._action_assign()
            campaign.message_post(body=self.env._(
                "Quarantine: %(units)s units moved, %(moves)s reservations released.",
                units=units, moves=len(unreserved_moves),
            ))
        return count

    def _on_batch_done(self, batch):
        """A queued quarantine is over: the open moves it unreserved look for unaffected stock."""
        move_ids = (batch.batch_context or {}).get("recall_reassign_move_ids")
        if move_ids:
            self.env["stock.move"].browse(move_ids).exists()._action_assign()

    def _get_quarantine_locations(self):
        """The quarantine locations of the campaigns' companies, each with its warehouse."""
        warehouses = self.env["stock.warehouse"].sudo().search([("company_id", "in", self.company_id.ids)])
        return warehouses.quarantine_location_id

    # ------------------------------------------------------------------
    # Release
    # ------------------------------------------------------------------
    def action_release_quarantine(self):
        """The lots are no longer blocked by this recall: the company's own units quarantined by it go back
        to stock; units retrieved from consignees go to their disposition (triage or scrap), never to stock."""
        self._check_recall_manager()
        self._check_not_mock(self.env._("it quarantined nothing"))
        self._check_state(("active", "monitoring", "closed"), self.env._("it has no quarantine to release"))
        for campaign in self:
            if campaign.date_released:
                raise UserError(self.env._("The quarantine of %(name)s was already released.", name=campaign.name))
            # The block is the campaign's: lifted first, so that the release transfers below pass it (another
            # active recall of the same lots still blocks them). No context key lifts it.
            campaign.sudo().date_released = fields.Datetime.now()
            summary = campaign._release_quarantine()
            campaign.message_post(body=self.env._(
                "Quarantine released by %(user)s: %(own)s own units back to stock, %(retrieved)s retrieved units "
                "to %(where)s.", user=self.env.user.name, own=summary["own"], retrieved=summary["retrieved"],
                where=dict(self._fields["retrieved_disposition"]._description_selection(self.env))[
                    campaign.retrieved_disposition]))
        return True

    def _get_own_quarantined_qty(self):
        """{(quarantine location, product, lot): units} the campaign's quarantine transfers brought into
        quarantine from the company's stock, less what its releases already took back to stock."""
        self.ensure_one()
        own = defaultdict(float)
        lines = self.env["stock.move.line"].sudo().search([
            ("move_id.picking_id.recall_campaign_id", "=", self.id), ("state", "=", "done"),
        ])
        quarantines = self._get_quarantine_locations()
        for line in lines:
            qty = line.quantity_product_uom
            # Into quarantine from the company's own stock only: units from a customer are retrieved ones.
            if line.location_dest_id in quarantines and line.location_id.usage == "internal":
                own[line.location_dest_id, line.product_id, line.lot_id] += qty
            elif line.location_id in quarantines:
                own[line.location_id, line.product_id, line.lot_id] -= qty
        return own

    def _release_quarantine(self):
        """Empty the quarantine of this campaign's lots: own units to stock, the rest (retrieved) to the
        campaign's disposition. Returns {"own": units, "retrieved": units}."""
        self.ensure_one()
        quarantines = self._get_quarantine_locations()
        quants = self.env["stock.quant"].sudo().search([
            ("lot_id", "in", self._get_affected_lots().ids), ("location_id", "in", quarantines.ids),
            ("company_id", "=", self.company_id.id), ("quantity", ">", 0),
        ])
        own = self._get_own_quarantined_qty()
        summary = {"own": 0.0, "retrieved": 0.0}
        by_warehouse = defaultdict(lambda: {"own": [], "retrieved": []})
        for quant in quants:
            rounding = quant.product_id.uom_id.rounding
            key = (quant.location_id, quant.product_id, quant.lot_id)
            own_qty = min(max(own.get(key, 0.0), 0.0), quant.quantity)
            if float_compare(own_qty, 0.0, precision_rounding=rounding) > 0:
                own[key] -= own_qty
                by_warehouse[quant.warehouse_id]["own"].append((quant, own_qty))
            rest = quant.quantity - own_qty
            if not float_is_zero(rest, precision_rounding=rounding):
                by_warehouse[quant.warehouse_id]["retrieved"].append((quant, rest))
        for warehouse, parts in by_warehouse.items():
            warehouse = warehouse.sudo()
            if parts["own"]:
                warehouse._recall_create_quant_transfer(
                    self, self.env["stock.quant"].union(*(quant for quant, _qty in parts["own"])),
                    warehouse.lot_stock_id, quantities=[qty for _quant, qty in parts["own"]])
                summary["own"] += sum(qty for _quant, qty in parts["own"])
            if parts["retrieved"]:
                self._dispose_retrieved(warehouse, parts["retrieved"])
                summary["retrieved"] += sum(qty for _quant, qty in parts["retrieved"])
        return summary

    def _dispose_retrieved(self, warehouse, parts):
        """Send retrieved units [(quant, qty)] of a warehouse's quarantine to the campaign's disposition."""
        self.ensure_one()
        if self.retrieved_disposition == "scrap":
            scraps = self.env["stock.scrap"].sudo().create([
                self._prepare_release_scrap_vals(quant, qty) for quant, qty in parts])
            for scrap in scraps:
                scrap.do_scrap()
            return scraps
        if not warehouse.return_location_id:
            warehouse._ensure_return_setup()
        return warehouse._recall_create_quant_transfer(
            self, self.env["stock.quant"].union(*(quant for quant, _qty in parts)), warehouse.return_location_id,
            quantities=[qty for _quant, qty in parts])

    def _prepare_release_scrap_vals(self, quant, qty):
        return {
            "product_id": quant.product_id.id,
            "product_uom_id": quant.product_id.uom_id.id,
            "lot_id": quant.lot_id.id,
            "package_id": quant.package_id.id,
            "scrap_qty": qty,
            "location_id": quant.location_id.id,
            "company_id": self.company_id.id,
            "origin": self.name,
        }

    # ------------------------------------------------------------------
    # The block
    # ------------------------------------------------------------------
    @api.model
    def _get_blocking_campaigns(self, lots, companies):
        """{(lot, company): campaigns} of the live recalls (active or monitoring, not released, not mock)
        of these companies that hold these lots (a seed or a lot the trace found), read in two queries."""
        if not lots or not companies:
            return {}
        relation = self._fields["lot_ids"]
        self.flush_model(["state", "is_mock", "date_released", "company_id", "lot_ids"])
        self.env["recall.exposure"].flush_model(["campaign_id", "lot_id"])
        self.env.cr.execute(SQL(
            """
            WITH live AS (
                SELECT id, company_id FROM recall_campaign
                 WHERE state IN ('active', 'monitoring') AND is_mock IS NOT TRUE AND date_released IS NULL
                   AND company_id = ANY(%(companies)s)
            )
            SELECT e.lot_id, live.company_id, live.id
              FROM recall_exposure e JOIN live ON live.id = e.campaign_id
             WHERE e.lot_id = ANY(%(lots)s)
             UNION
            SELECT r.%(lot_column)s, live.company_id, live.id
              FROM %(relation)s r JOIN live ON live.id = r.%(campaign_column)s
             WHERE r.%(lot_column)s = ANY(%(lots)s)
            """,
            companies=companies.ids, lots=lots.ids, relation=SQL.identifier(relation.relation),
            lot_column=SQL.identifier(relation.column2), campaign_column=SQL.identifier(relation.column1),
        ))
        blocking = defaultdict(lambda: self.browse())
        for lot_id, company_id, campaign_id in self.env.cr.fetchall():
            blocking[self.env["stock.lot"].browse(lot_id), self.env["res.company"].browse(company_id)] |= \
                self.browse(campaign_id)
        return dict(blocking)
