{
    "name": "Reverse Logistics: Carrier Return Labels Tests",
    "summary": "A carrier type for the tests of reverse_logistics_delivery (Community has no carrier connector)",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "license": "LGPL-3",
    "author": "Reverse Logistics for Odoo",
    "website": "https://github.com/reverse-logistics-odoo/reverse-logistics",
    "depends": ["reverse_logistics_delivery"],
}
