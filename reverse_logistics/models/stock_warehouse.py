from odoo import fields, models


class StockWarehouse(models.Model):
    _inherit = "stock.warehouse"

    return_type_id = fields.Many2one(
        "stock.picking.type", string="Returns Operation Type", check_company=True, copy=False,
    )
    return_route_id = fields.Many2one(
        "stock.route", string="Returns Route", check_company=True, copy=False, ondelete="restrict",
        help="Route of returned goods: received from the customer with the Returns operation, then through "
        "the warehouse's reception steps (input, quality control) to the triage location. Created with the "
        "warehouse and kept in step with its incoming shipments setting; another route may be chosen.",
    )
    return_location_id = fields.Many2one(
        "stock.location", string="Triage Location", check_company=True, copy=False,
        domain="[('usage', '=', 'internal')]",
        help="Returned goods wait here to be graded and dispositioned.",
    )
    repackage_location_id = fields.Many2one(
        "stock.location", string="Repackaging Location", check_company=True, copy=False,
        domain="[('usage', '=', 'internal')]",
    )
    liquidation_location_id = fields.Many2one(
        "stock.location", check_company=True, copy=False,
        domain="[('usage', '=', 'internal')]",
        help="Graded units sold off in lots wait here for the liquidator.",
    )

    def _get_reverse_logistics_locations(self):
        """(warehouse field, location name, barcode suffix) of the internal locations returns need."""
        return [
            ("return_location_id", self.env._("Triage"), "TRIAGE"),
            ("repackage_location_id", self.env._("Repackaging"), "REPACK"),
            ("liquidation_location_id", self.env._("Liquidation"), "LIQUIDATION"),
        ]

    def _get_locations_values(self, vals, code=False):
        values = super()._get_locations_values(vals, code=code)
        code = (vals.get("code") or code or "").replace(" ", "").upper()
        company_id = vals.get("company_id", self.default_get(["company_id"])["company_id"])
        for field_name, name, suffix in self._get_reverse_logistics_locations():
            values[field_name] = {
                "name": name,
                "active": True,
                "usage": "internal",
                "barcode": self._valid_barcode(code + suffix, company_id),
            }
        return values

    def _get_sequence_values(self, name=False, code=False):
        values = super()._get_sequence_values(name=name, code=code)
        values["return_type_id"] = {
            "name": self.env._("%(name)s Sequence returns", name=self.name),
            "prefix": self.code + "/" + (self.return_type_id.sequence_code or "RMA") + "/",
            "padding": 5,
            "company_id": self.company_id.id,
        }
        return values

    def _get_picking_type_create_values(self, max_sequence):
        data, next_sequence = super()._get_picking_type_create_values(max_sequence)
        data["return_type_id"] = {
            "name": self.env._("Returns"),
            "code": "incoming",
            "use_create_lots": False,
            "use_existing_lots": True,
            "default_location_src_id": self.env.ref("stock.stock_location_customers").id,
            "default_location_dest_id": self._get_return_first_step_location().id,
            "sequence": next_sequence + 1,
            "sequence_code": "RMA",
            "show_operations": False,
            "company_id": self.company_id.id,
        }
        return data, max_sequence + 2

    def _get_picking_type_update_values(self):
        data = super()._get_picking_type_update_values()
        data["return_type_id"] = {
            "active": self.active,
            "default_location_dest_id": self._get_return_first_step_location().id,
            "barcode": self.code.replace(" ", "").upper() + "RMA",
        }
        return data

    # ------------------------------------------------------------------
    # Returns route: a pull rule from the customer, then the push rules of the reception steps
    # ------------------------------------------------------------------
    def _get_return_first_step_location(self):
        """Where the Returns operation brings the goods: triage in one step, else the input location."""
        self.ensure_one()
        if self.reception_steps == "one_step":
            return self.return_location_id
        return self.wh_input_stock_loc_id

    def _get_return_rules_dict(self):
        """The rules of the returns route for each reception setting, as Odoo's get_rules_dict has them
        for receipts; the last step lands in triage rather than in stock."""
        self.ensure_one()
        customers = self.env.ref("stock.stock_location_customers")
        triage = self.return_location_id
        # The pull rule serves any final destination in the warehouse: triage, or quarantine for recalls.
        receive = self.Routing(customers, self.view_location_id, self.return_type_id, "pull")
        return {
            "return_one_step": [receive],
            "return_two_steps": [
                receive, self.Routing(self.wh_input_stock_loc_id, triage, self.store_type_id, "push")],
            "return_three_steps": [
                receive,
                self.Routing(self.wh_input_stock_loc_id, self.wh_qc_stock_loc_id, self.qc_type_id, "push"),
                self.Routing(self.wh_qc_stock_loc_id, triage, self.store_type_id, "push")],
        }

    def get_rules_dict(self):
        rules = super().get_rules_dict()
        for warehouse in self:
            if warehouse.return_type_id and warehouse.return_location_id:
                rules.setdefault(warehouse.id, {}).update(warehouse._get_return_rules_dict())
        return rules

    def _get_routes_values(self):
        routes = super()._get_routes_values()
        if self.return_type_id and self.return_location_id:
            routes["return_route_id"] = {
                "routing_key": f"return_{self.reception_steps}",
                "depends": ["reception_steps"],
                "route_update_values": {
                    "name": self.env._("%(warehouse)s: Returns", warehouse=self.name),
                    "active": self.active,
                },
                # Chosen by the return for its receipts only, never by products or sale orders.
                "route_create_values": {
                    "product_categ_selectable": False,
                    "warehouse_selectable": False,
                    "product_selectable": False,
                    "company_id": self.company_id.id,
                    "sequence": 8,
                },
                "rules_values": {"active": True, "propagate_cancel": True},
            }
        return routes

    def _ensure_return_setup(self):
        """Create the triage location and Returns type on warehouses that predate the addon."""
        for warehouse in self:
            if not (warehouse.return_location_id and warehouse.repackage_location_id
                    and warehouse.liquidation_location_id):
                warehouse._create_missing_locations({})
            if not warehouse.return_type_id:
                warehouse.write(warehouse._create_or_update_sequences_and_picking_types())
            if not warehouse.return_route_id:
                warehouse.write(warehouse._create_or_update_route())
