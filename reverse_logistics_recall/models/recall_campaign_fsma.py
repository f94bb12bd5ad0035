import io

from odoo import api, fields, models
from odoo.exceptions import UserError

try:
    import xlsxwriter
except ImportError:  # pragma: no cover - Odoo requires it
    xlsxwriter = None


class RecallCampaign(models.Model):
    """The FSMA 204 style traceability spreadsheet: every critical tracking event of the affected lots."""

    _inherit = "recall.campaign"

    def _get_fsma_rows(self):
        """One row per critical tracking event of the affected lots with its key data elements (FSMA 204
        style), then the stock on hand the last trace found."""
        self.ensure_one()
        labels = {
            "receiving": self.env._("Receiving"), "transformation": self.env._("Transformation"),
            "shipping": self.env._("Shipping"), "return": self.env._("Receiving (return)"),
            "on_hand": self.env._("On hand"),
        }
        self.env.flush_all()
        self.env.cr.execute(self._get_fsma_events_query(self.lot_ids.ids, self.company_id.id))
        events = self.env.cr.fetchall()
        products = self.env["product.product"].browse({e[2] for e in events})
        lots = self.env["stock.lot"].browse({e[3] for e in events})
        partners = self.env["res.partner"].browse({e[5] for e in events if e[5]})
        # Read the names of the whole set at once rather than event after event.
        products.mapped("display_name"), lots.mapped("name"), partners.mapped("display_name")
        sources = self._get_lot_code_sources(events)
        rows = []
        for date, kind, product_id, lot_id, qty, partner_id, source, destination, reference, inputs in events:
            product, partner = products.browse(product_id), partners.browse(partner_id)
            rows.append([
                labels[kind], fields.Datetime.to_string(date), product.display_name, product.default_code or "",
                lots.browse(lot_id).name, qty, product.uom_id.name, source, destination,
                partner.display_name or "", self._get_partner_address(partner), reference or "", inputs or "",
                sources.get(lot_id, self.company_id.name),
            ])
        date = fields.Datetime.to_string(self.date_traced) if self.date_traced else ""
        for row in self.stock_exposure_ids:
            rows.append([
                labels["on_hand"], date, row.product_id.display_name, row.product_id.default_code or "",
                row.lot_id.name, row.qty_on_hand, row.product_id.uom_id.name, row.location_id.display_name, "",
                "", "", "", "", sources.get(row.lot_id.id, self.company_id.name),
            ])
        return rows

    def _get_lot_code_sources(self, events):
        """{lot id: traceability lot code source} (FSMA 204, 21 CFR 1.1310): whoever assigned the lot code.
        A lot received from a supplier carries the supplier's code: the supplier (its name and address); a
        lot the company made, or found on hand, is the company's own (left to the caller's default)."""
        sources = {}
        received = [(lot_id, partner_id) for _date, kind, _product, lot_id, _qty, partner_id, *_rest in events
                    if kind == "receiving"]
        partners = self.env["res.partner"].browse({partner_id for _lot, partner_id in received if partner_id})
        for lot_id, partner_id in received:
            if lot_id in sources:
                continue
            partner = partners.browse(partner_id)
            sources[lot_id] = ", ".join(filter(None, (partner.display_name, self._get_partner_address(partner)))) \
                if partner else self.env._("Supplier (not named on the receipt)")
        return sources

    @api.model
    def _get_partner_address(self, partner):
        """The partner's address as its country writes it, on one line for a spreadsheet cell."""
        if not partner:
            return ""
        return ", ".join(filter(None, (line.strip() for line in partner._display_address(True).splitlines())))

    def _get_fsma_xlsx(self):
        """The FSMA 204 spreadsheet of the campaign, as bytes (built on each download, never stored)."""
        self.ensure_one()
        if xlsxwriter is None:
            raise UserError(self.env._("The xlsxwriter Python package is required for the spreadsheet."))
        buffer = io.BytesIO()
        workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
        sheet = workbook.add_worksheet("Traceability")
        header = [
            self.env._("Event"), self.env._("Date"), self.env._("Product"), self.env._("Product Code"),
            self.env._("Traceability Lot Code"), self.env._("Quantity"), self.env._("Unit"),
            self.env._("From"), self.env._("To"), self.env._("Partner"), self.env._("Partner Address"),
            self.env._("Reference Document"), self.env._("Input Lot Codes"),
            self.env._("Traceability Lot Code Source"),
        ]
        bold = workbook.add_format({"bold": True})
        sheet.write_row(0, 0, header, bold)
        rows = self._get_fsma_rows()
        for index, row in enumerate(rows, start=1):
            sheet.write_row(index, 0, row)
        sheet.autofilter(0, 0, max(len(rows), 1), len(header) - 1)
        sheet.freeze_panes(1, 0)
        workbook.close()
        return buffer.getvalue()

    def _get_fsma_filename(self):
        self.ensure_one()
        return f"{self.name.replace('/', '-')}-fsma204.xlsx"

    def action_export_fsma204(self):
        """Download the spreadsheet: the controller builds and sends it, nothing is stored."""
        self.ensure_one()
        self.check_access("read")
        if xlsxwriter is None:
            raise UserError(self.env._("The xlsxwriter Python package is required for the spreadsheet."))
        return {"type": "ir.actions.act_url", "url": f"/web/content/recall_fsma204/{self.id}", "target": "self"}
