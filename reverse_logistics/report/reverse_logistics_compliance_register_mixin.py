import base64
import io
from datetime import timedelta
from urllib.parse import quote

import xlsxwriter

from odoo import api, fields, models
from odoo.tools import format_date


class ComplianceRegisterMixin(models.AbstractModel):
    """What the compliance registers share: a period, a company, and an xlsx export of their lines.

    Each register lists its columns once (`_get_register_columns`): the xlsx, the PDF and the tests read
    the same list, so a column added to one shows in all.
    """

    _name = "reverse.logistics.compliance.register.mixin"
    _description = "Compliance Register"

    date_from = fields.Date(required=True, default=lambda self: fields.Date.today().replace(month=1, day=1))
    date_to = fields.Date(required=True, default=fields.Date.context_today)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    xlsx_file = fields.Binary(string="Spreadsheet", readonly=True, attachment=False)
    xlsx_filename = fields.Char(readonly=True)

    @api.model
    def _get_register_columns(self):
        """[(field name of the lines, header)] in the order of the export."""
        return []

    def _get_register_lines(self):
        """The register's computed lines, in the order of the export (each register defines it)."""
        raise NotImplementedError()

    def _get_register_title(self):
        return self._description

    @api.depends("date_from", "date_to")
    def _compute_display_name(self):
        # The form's breadcrumb: the register and its period, not "weee.register,8".
        for register in self:
            register.display_name = self.env._(
                "%(register)s, %(date_from)s to %(date_to)s", register=register._get_register_title(),
                date_from=format_date(self.env, register.date_from), date_to=format_date(self.env, register.date_to))

    @api.model
    def _get_last_period(self):
        """(date_from, date_to) of the period a register opens on: the last whole calendar month."""
        first_of_month = fields.Date.context_today(self).replace(day=1)
        last_month_end = first_of_month - timedelta(days=1)
        return last_month_end.replace(day=1), last_month_end

    @api.model
    def action_open_last_period(self):
        """The register's menu: the register of the last period, computed, rather than an empty form to
        fill in. Created as the user (the register's access rights), computed by its own checks."""
        date_from, date_to = self._get_last_period()
        register = self.create({"date_from": date_from, "date_to": date_to, "company_id": self.env.company.id})
        return register.action_compute()

    def _get_period_bounds(self):
        """The period as UTC datetimes [start, end): whole days from date_from to date_to included."""
        self.ensure_one()
        start = fields.Datetime.to_datetime(self.date_from)
        end = fields.Datetime.to_datetime(fields.Date.add(self.date_to, days=1))
        return start, end

    def _format_cell(self, line, name):
        value = line[name]
        field = line._fields[name]
        if field.type == "selection":
            return dict(field._description_selection(self.env)).get(value, "") if value else ""
        if field.type == "many2one":
            return value.display_name or ""
        if field.type == "boolean":
            return self.env._("Yes") if value else self.env._("No")
        return value

    def _get_xlsx_content(self):
        """The register as a workbook: a header block, then one row per line under an autofilter, so
        it sorts and filters in any spreadsheet."""
        self.ensure_one()
        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(output, {"in_memory": True})
        sheet = workbook.add_worksheet(self._get_register_title()[:31])
        bold = workbook.add_format({"bold": True})
        number = workbook.add_format({"num_format": "#,##0.00"})
        sheet.write(0, 0, self._get_register_title(), bold)
        sheet.write(1, 0, self.company_id.name)
        sheet.write(2, 0, f"{self.date_from} - {self.date_to}")
        columns = self._get_register_columns()
        header_row = 4
        for col, (_name, header) in enumerate(columns):
            sheet.write(header_row, col, header, bold)
            sheet.set_column(col, col, max(12, len(header) + 2))
        lines = self._get_register_lines()
        for row, line in enumerate(lines, start=header_row + 1):
            for col, (name, _header) in enumerate(columns):
                value = self._format_cell(line, name)
                if isinstance(value, float):
                    sheet.write_number(row, col, value, number)
                else:
                    sheet.write(row, col, value)
        sheet.autofilter(header_row, 0, header_row + len(lines), len(columns) - 1)
        workbook.close()
        return output.getvalue()

    def _get_pdf_report(self):
        """The register's PDF report action (each register defines it)."""
        raise NotImplementedError()

    def _ensure_register_computed(self):
        if not self._get_register_lines():
            self.action_compute()

    def action_print_pdf(self):
        self._ensure_register_computed()
        return self._get_pdf_report().report_action(self)

    def action_export_xlsx(self):
        self.ensure_one()
        self._ensure_register_computed()
        filename = f"{self._get_register_title()} {self.date_from} {self.date_to}.xlsx"
        self.write({"xlsx_file": base64.b64encode(self._get_xlsx_content()), "xlsx_filename": filename})
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self._name}/{self.id}/xlsx_file/{quote(filename)}?download=true",
            "target": "self",
        }
