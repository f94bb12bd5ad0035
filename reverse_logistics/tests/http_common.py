from odoo.tests import HttpCase


class ReverseLogisticsHttpCase(HttpCase):
    """HttpCase with time limits for a loaded two-core CI machine: after each test Odoo clears its
    caches, so the next portal page compiles its templates again, which can pass `url_open`'s 12 s;
    tours get three minutes rather than one."""

    def url_open(self, url, data=None, files=None, timeout=60, **kwargs):
        return super().url_open(url, data=data, files=files, timeout=timeout, **kwargs)

    def start_tour(self, url_path, tour_name, step_delay=None, **kwargs):
        kwargs.setdefault("timeout", 180)
        return super().start_tour(url_path, tour_name, step_delay=step_delay, **kwargs)
