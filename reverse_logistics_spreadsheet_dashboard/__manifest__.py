{
    "name": "Reverse Logistics Dashboard",
    "summary": "Returns dashboard in the Dashboards app: return rates, reasons, dispositions, value, "
    "cycle times, landfill diversion and CO2e avoided",
    "version": "18.0.1.0.1",
    "category": "Hidden",
    "license": "LGPL-3",
    "author": "Reverse Logistics for Odoo",
    "website": "https://github.com/reverse-logistics-odoo/reverse-logistics",
    "maintainers": ["reverse-logistics-odoo"],
    "images": ["static/description/01_dashboard.png"],
    "depends": ["reverse_logistics", "spreadsheet_dashboard"],
    "data": [
        "data/dashboards.xml",
        "views/reverse_logistics_menus.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "reverse_logistics_spreadsheet_dashboard/static/tests/tours/**/*",
        ],
    },
    "auto_install": True,
}
