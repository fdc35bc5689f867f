"""The stable keys of the site validator's rules (``exc.rule``) and what each means: the registry
:mod:`wufei_geo.site_rules` raises from (tests/test_refusal_keys.py checks the two agree).  Kept
apart as plain data so the validator stays one screenful of rules."""
from __future__ import annotations

# Stable rule keys (exc.rule) → what they mean.  SOFT rules may be insisted on with a note.
RULES: dict[str, str] = {
    "field_not_editable": "a field that cannot be edited here",
    "unknown_status": "a status that is not one of model.STATUSES",
    "capacity_not_number": "a capacity that is not a finite number ≥ 0",
    "capacity_unit_missing": "a capacity without its unit (or a unit without a value)",
    "unknown_unit": "a unit the system does not know",
    "unit_category_mismatch": "a unit that does not fit the site's category (MW for wet waste)",
    "capacity_too_large": "a capacity that overflows once normalised",
    "date_format": "a commissioning date not written YYYY, YYYY-MM or YYYY-MM-DD, or not a real day",
    "commissioned_in_future": "a commissioning date after today (Asia/Shanghai)",
    "commissioned_too_early": "a commissioning date before 1949",
    "location_format": "a location that is not (lon, lat, datum) numbers in a known datum",
    "outside_district": "a point outside Qingpu District",
    "not_existing_facility": "a capacity before the project for a site that is not an existing facility (E.11)",
    "bad_expected_date": "an expected date not written YYYY, YYYY-MM or YYYY-MM-DD, not a real day, or outside 2000–2100",
    "villages_not_wet_waste": "served villages for a site that is not a wet-waste facility",
    "bad_villages": "served villages that are not a list of names, or a name over VILLAGE_NAME_MAX characters",
    "control_characters": "a village name with control characters",
    "unknown_category": "a stored row whose category is not one of model.CATEGORIES",
    "unknown_precision": "a stored row whose precision is not one of model.PRECISIONS",
    "capacity_norm_mismatch": "a stored row whose normalised capacity is not its value in its unit",
    "note_required": "a status change to suspended/cancelled/decommissioned, or backwards, without a note",
    "note_required_to_insist": "insisting on an implausible edit without a note",
    "baseline_note_required": "a capacity before the project (E.11) without a note naming its source",
    "nothing_to_change": "an edit that changes nothing",
    "not_yes_no": "a yes/no attribute (online monitoring, insurance) that is not yes, no or unknown",
    "insurance_not_hazardous": "pollution liability insurance on a site that is not a hazardous-waste operator",
    # soft (plausibility) rules
    "capacity_above_design": "operating capacity above the site's design capacity",
    "capacity_jump": "operating capacity more than 10× above (or below) the previous value",
    "commissioned_before_site": "a plan project commissioned before the plan's period began (2021-01-01)",
    "outside_own_zone": "a town official moving a site out of their own town's zone",
    # soft rules that need the plan's data or the district totals (wufei_geo.reference_bounds)
    "capacity_above_bound": "no design capacity and no previous value: above the plan's largest facility of its kind",
    "headline_share": "a town official's edit moving the district's capacity operating today by more than half",
}
