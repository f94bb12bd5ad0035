{
    "name": "Reverse Logistics: Recalls",
    "summary": "Recall campaigns with fast lot traceability, quarantine, consignee notification, "
    "retrieval and effectiveness, mock recalls",
    "version": "18.0.1.1.0",
    "category": "Inventory/Inventory",
    "license": "LGPL-3",
    "author": "Reverse Logistics for Odoo",
    "website": "https://github.com/reverse-logistics-odoo/reverse-logistics",
    "maintainers": ["reverse-logistics-odoo"],
    "depends": ["reverse_logistics"],
    "data": [
        "security/reverse_logistics_recall_security.xml",
        "security/ir.model.access.csv",
        "data/recall_data.xml",
        "data/return_type_data.xml",
        "data/mail_template_data.xml",
        "report/recall_analysis_views.xml",
        "views/recall_campaign_views.xml",
        "views/recall_wizard_views.xml",
        "views/portal_templates.xml",
        "views/reverse_logistics_recall_menus.xml",
        "report/recall_reports.xml",
    ],
    "demo": [
        "demo/recall_demo.xml",
    ],
    "post_init_hook": "_create_quarantine_locations",
}
