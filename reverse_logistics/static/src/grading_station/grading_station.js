/** Grading station: scan a return, lot or product; one key picks the grade, Enter confirms. */
import { Component, onMounted, onWillStart, useEffect, useRef, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useBus, useService } from "@web/core/utils/hooks";
import { useHotkey } from "@web/core/hotkeys/hotkey_hook";
import { _t } from "@web/core/l10n/translation";
import { deserializeDateTime, formatDateTime } from "@web/core/l10n/dates";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";

export class GradingStation extends Component {
    static template = "reverse_logistics.GradingStation";
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.notification = useService("notification");
        this.scanInput = useRef("scanInput");
        this.panel = useRef("panel");
        const context = this.props.action?.context || {};
        this.state = useState({
            code: context.default_scan || "",
            scanned: "",
            unit: null,
            grades: [],
            gradeId: null,
            quantity: "",
            passed: {},
            history: [],
            error: "",
            // What waits to be graded, shown while nothing is scanned.
            queue: null,
        });
        this.hotkey = useService("hotkey");
        // A scanner ends its code with Enter: that Enter scans, it must not also confirm the unit shown.
        this.scannerEnter = false;
        useBus(useService("barcode").bus, "barcode_scanned", (ev) => {
            this.scannerEnter = true;
            setTimeout(() => (this.scannerEnter = false));
            this.scan(ev.detail.barcode);
        });
        // Keys go through Odoo's hotkey service: none while typing in the scan field, none without a unit.
        const withUnit = { isAvailable: () => Boolean(this.state.unit) };
        useHotkey("enter", () => this.confirm(), {
            isAvailable: () => Boolean(this.state.unit) && !this.scannerEnter,
        });
        useHotkey("escape", () => this.backToScan(), withUnit);
        useHotkey("backspace", () => (this.state.quantity = this.state.quantity.slice(0, -1)), withUnit);
        const typeDigit = (digit) => {
            if (this.state.unit.tracking !== "serial") {
                this.state.quantity += digit;
            }
        };
        for (const digit of "0123456789") {
            useHotkey(digit, () => typeDigit(digit), withUnit);
        }
        // The keys of the grades this unit may get, one grade per key: a grade of the unit's own (a
        // brand's, reusing a general grade's code) takes its key first.
        useEffect(
            () => {
                const taken = new Set();
                const grades = [...this.unitGrades].sort((a, b) => Number(!!b.own) - Number(!!a.own));
                const removers = [];
                for (const grade of grades) {
                    if (grade.hotkey && !taken.has(grade.hotkey)) {
                        taken.add(grade.hotkey);
                        removers.push(
                            this.hotkey.add(grade.hotkey, () => this.selectGrade(grade), withUnit)
                        );
                    }
                }
                return () => removers.forEach((remove) => remove());
            },
            () => [this.state.grades, this.state.unit]
        );
        onWillStart(async () => {
            [this.state.grades] = await Promise.all([
                this.orm.call("return.grading.station", "get_grades", []),
                this.loadQueue(),
            ]);
        });
        // Once a unit shows, leave the scan field so that single keys grade instead of typing.
        useEffect(
            (unit) => {
                if (unit) {
                    this.panel.el?.focus();
                }
            },
            () => [this.state.unit]
        );
        onMounted(() => {
            if (this.state.code) {
                this.scan(this.state.code);
            } else {
                this.scanInput.el?.focus();
            }
        });
    }

    async loadQueue() {
        this.state.queue = await this.orm.call("return.grading.station", "get_queue", []);
    }

    formatReceived(row) {
        return row.received ? formatDateTime(deserializeDateTime(row.received), { showSeconds: false }) : "";
    }

    formatAge(hours) {
        if (hours >= 48) {
            return _t("%s days", Math.floor(hours / 24));
        }
        return _t("%s h", Math.floor(hours));
    }

    get previousGrade() {
        return this.unitGrades.find((g) => g.id === this.state.unit?.suggested_grade_id);
    }

    get selectedGrade() {
        return this.state.grades.find((g) => g.id === this.state.gradeId);
    }

    async scan(code) {
        code = (code || "").trim();
        if (!code) {
            return;
        }
        this.state.code = code;
        const unit = await this.orm.call("return.grading.station", "scan", [code]);
        this.showUnit(unit, code);
    }

    showUnit(unit, code) {
        if (unit.error) {
            this.state.unit = null;
            this.state.error = unit.error;
            this.state.scanned = "";
            this.scanInput.el?.focus();
            this.scanInput.el?.select();
            return;
        }
        this.state.error = "";
        this.state.scanned = code;
        this.state.unit = unit;
        // Each unit is looked at: no grade is picked for it in advance, the previous one is only shown.
        this.state.gradeId = null;
        this.state.quantity = "";
        this.state.passed = Object.fromEntries(unit.questions.map((q) => [q.id, true]));
    }

    onScanKeydown(ev) {
        if (ev.key === "Enter") {
            ev.preventDefault();
            ev.stopPropagation();
            this.scan(ev.target.value);
        }
    }

    // Decimals cannot be hotkeys: they are typed in the quantity field, where Enter confirms too.
    onQuantityKeydown(ev) {
        if (ev.key === "Enter") {
            ev.preventDefault();
            this.confirm();
        }
    }

    /** The grades this unit may get: a brand's own grades show for its goods only. */
    get unitGrades() {
        const allowed = this.state.unit?.grade_ids;
        return allowed ? this.state.grades.filter((g) => allowed.includes(g.id)) : this.state.grades;
    }

    selectGrade(grade) {
        if (!this.unitGrades.includes(grade)) {
            return;
        }
        this.state.gradeId = grade.id;
        this.panel.el?.focus();
    }

    backToScan() {
        this.state.unit = null;
        this.loadQueue();
        this.scanInput.el?.focus();
        this.scanInput.el?.select();
    }

    get quantity() {
        const typed = parseFloat(this.state.quantity);
        return typed > 0 ? typed : this.state.unit.qty_default;
    }

    async confirm() {
        const unit = this.state.unit;
        if (!unit || !this.state.gradeId) {
            this.notification.add(_t("Pick a grade first."), { type: "warning" });
            return;
        }
        const passed = Object.keys(this.state.passed).filter((id) => this.state.passed[id]).map(Number);
        const grade = this.selectedGrade;
        const quantity = this.quantity;
        this.state.unit = null;
        let result;
        try {
            result = await this.orm.call("return.grading.station", "grade", [
                unit.line_id, grade.id, quantity, unit.lot_id, this.state.scanned, passed,
            ], { product_id: unit.product_id });
        } catch (error) {
            this.state.unit = unit;
            throw error;
        }
        if (result.error) {
            this.state.error = result.error;
            return;
        }
        this.state.history.unshift({ id: result.grading_id, label: result.graded, grade: grade.code });
        if (result.next) {
            this.showUnit(result.next, this.state.scanned);
        } else {
            this.state.error = "";
            this.state.code = "";
            this.notification.add(_t("Everything scanned is graded."), { type: "success" });
            this.loadQueue();
            this.scanInput.el?.focus();
        }
    }

    toggleQuestion(questionId) {
        this.state.passed[questionId] = !this.state.passed[questionId];
    }
}

registry.category("actions").add("reverse_logistics.grading_station", GradingStation);
