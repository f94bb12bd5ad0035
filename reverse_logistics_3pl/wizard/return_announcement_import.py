import base64
import binascii
import csv
import io

from odoo import fields, models
from odoo.exceptions import UserError

REQUIRED_COLUMNS = ("order_ref", "customer_name", "product", "qty")
OPTIONAL_COLUMNS = ("customer_email", "lot", "price")
# One request holds one import: about a minute at most on one worker; bigger files are split.
MAX_ROWS = 2000
MAX_ORDERS = 200


class ReturnAnnouncementImport(models.TransientModel):
    """A brand's announcements in a spreadsheet (CSV): one announced return per brand order reference,
    each made by the same code as the brand's JSON-RPC call. All or nothing: one bad row refuses the file,
    every bad row named by its line number."""

    _name = "return.announcement.import"
    _description = "Import of Announced Client Returns"

    client_id = fields.Many2one("res.partner", string="Client (Brand)", required=True,
                                domain="[('is_company', '=', True)]")
    file = fields.Binary(string="CSV File", required=True,
                         help="Columns: order_ref, customer_name, customer_email, product (default code or "
                              "barcode), qty, lot (optional), price (optional). One line per product.")
    filename = fields.Char()

    def _read_rows(self):
        """The file's rows as (line number, {column: value}); the header is line 1."""
        self.ensure_one()
        try:
            text = base64.b64decode(self.file or b"", validate=True).decode("utf-8-sig")
        except (binascii.Error, ValueError) as error:
            raise UserError(self.env._("The file is no UTF-8 CSV file.")) from error
        if "\x00" in text:
            raise UserError(self.env._("The file holds a NUL character: it is no CSV file."))
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.DictReader(io.StringIO(text), dialect=dialect)
        columns = [name.strip() for name in reader.fieldnames or []]
        missing = [name for name in REQUIRED_COLUMNS if name not in columns]
        if missing:
            raise UserError(self.env._("The file's header misses the columns %(columns)s.",
                                       columns=", ".join(missing)))
        rows = []
        for row in reader:
            if len(rows) >= MAX_ROWS:
                raise UserError(self.env._("An import holds at most %(max)s lines.", max=MAX_ROWS))
            values = {(key or "").strip(): (value or "").strip() if isinstance(value, str) else ""
                      for key, value in row.items()}
            if any(values.values()):
                rows.append((reader.line_num, values))
        if not rows:
            raise UserError(self.env._("The file holds no announcement."))
        return rows

    def _parse_number(self, text, line_no, label):
        try:
            return float(text.replace(",", ".")) if text else None
        except ValueError:
            raise UserError(self.env._("Line %(line)s: %(label)s %(value)s is not a number.",
                                       line=line_no, label=label, value=text)) from None

    def _prepare_announcement_vals(self, ref, rows):
        """The RPC's values for one brand order reference, from its rows."""
        first_no, first = rows[0]
        customer = {"name": first["customer_name"], "email": first.get("customer_email") or None}
        lines = []
        for line_no, row in rows:
            if (row["customer_name"], row.get("customer_email") or None) != (customer["name"], customer["email"]):
                raise UserError(self.env._(
                    "Line %(line)s: order %(ref)s names another customer than line %(first)s.",
                    line=line_no, ref=ref, first=first_no))
            line = {"product": row["product"], "qty": self._parse_number(row["qty"], line_no, self.env._("qty"))}
            if row.get("lot"):
                line["lot"] = row["lot"]
            price = self._parse_number(row.get("price", ""), line_no, self.env._("price"))
            if price is not None:
                line["price"] = price
            lines.append(line)
        return {"client_id": self.client_id.id, "client_ref": ref, "customer": customer, "lines": lines}

    def action_import(self):
        self.ensure_one()
        by_ref = {}
        for line_no, row in self._read_rows():
            by_ref.setdefault(row["order_ref"], []).append((line_no, row))
        if len(by_ref) > MAX_ORDERS:
            # Each order is a return made in this request: a bigger file is split, or announced over RPC.
            raise UserError(self.env._("An import holds at most %(max)s orders; this file has %(count)s.",
                                       max=MAX_ORDERS, count=len(by_ref)))
        errors, results = [], []
        orders = self.env["return.order"]
        for ref, rows in by_ref.items():
            line_nos = ", ".join(str(line_no) for line_no, _row in rows)
            try:
                # Each order on its own savepoint, so every bad one is reported; any error refuses them all.
                with self.env.cr.savepoint():
                    if not ref:
                        raise UserError(self.env._("the brand's order reference (order_ref) is empty."))
                    results.append(orders.action_announce_client_return(self._prepare_announcement_vals(ref, rows)))
            except UserError as error:
                errors.append(self.env._("Lines %(lines)s (order %(ref)s): %(error)s", lines=line_nos,
                                         ref=ref or "-", error=error.args[0]))
        if errors:
            raise UserError(self.env._("Nothing was imported:\n%(errors)s", errors="\n".join(errors)))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Announced Returns"),
            "res_model": "return.order",
            "view_mode": "list,form",
            "domain": [("id", "in", [result["id"] for result in results])],
        }
