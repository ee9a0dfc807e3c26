"""The factors of the dropout-risk score, their default points and why (the literature).

Every factor is something the registry already holds about a child's schooling or
circumstances. None uses ethnicity, religion, sex or household registration (户籍) — attributes
the law forbids to treat pupils differently by (义务教育法 Art. 4, 未成年人保护法 Art. 3) — and
none uses a guardian's identity. The help page lists exactly this table.

The default points are set so that one strong sign (a month's absences, a recent dropout)
reaches the "watch" band alone and two signs reach "high risk"; the county administrator can
change any of them for the county (RiskWeight)."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Factor:
    key: str
    label: str
    points: int  # the default; RiskWeight overrides it per county
    rule: str  # when it applies, shown on the help page
    source: str  # why: the study the default rests on


FACTORS: tuple[Factor, ...] = (
    # Absence is the strongest early sign in every dropout early-warning study: Balfanz, Herzog &
    # Mac Iver (2007), "Preventing student disengagement and keeping students on the graduation
    # path", Educational Psychologist 42(4) — the ABC (attendance, behaviour, course) indicators;
    # in rural China, Yi et al. (2012), "Dropping out: why are students leaving junior high in
    # China's poor rural areas?", International Journal of Educational Development 32(4).
    Factor(
        "absence_30",
        _("Unexcused absence in the last 30 days"),
        30,
        _("3 or more days of reported unexcused absence in the last 30 days"),
        "Balfanz, Herzog & Mac Iver 2007; Yi et al. 2012",
    ),
    Factor(
        "absence_90",
        _("Unexcused absence in the last 90 days"),
        15,
        _("10 or more days of reported unexcused absence in the last 90 days"),
        "Balfanz, Herzog & Mac Iver 2007",
    ),
    # Repeated short absences precede long ones (chronic absenteeism): Rumberger (2011),
    # "Dropping Out: Why Students Drop Out of High School and What Can Be Done About It".
    Factor(
        "absence_spells",
        _("Repeated absence spells"),
        15,
        _("2 or more absence reports in the last 180 days"),
        "Rumberger 2011",
    ),
    # Over-age pupils (late entry, repetition) drop out far more often: Hunt (2008), "Dropping
    # out from school: a cross-country review of literature", CREATE Pathways to Access 16.
    Factor(
        "overage",
        _("Over-age for the grade"),
        20,
        _("2 or more years older than the grade's normal age (grade + 5 on 31 August)"),
        "Hunt 2008",
    ),
    # Dropout in rural China concentrates at the move from primary to junior secondary and in
    # junior 1: Shi et al. (2015), "Dropping out of rural China's secondary schools: a
    # mixed-methods analysis", The China Quarterly 224; Yi et al. 2012.
    Factor(
        "transition",
        _("Transition year"),
        10,
        _("In grade 6 or grade 7 (the move from primary to junior secondary)"),
        "Shi et al. 2015; Yi et al. 2012",
    ),
    # A previous dropout is the best single predictor of dropping out again (Hunt 2008).
    Factor(
        "recent_dropout",
        _("Dropped out or returned within 12 months"),
        25,
        _("A dropout or a return to school recorded in the last 12 months"),
        "Hunt 2008",
    ),
    Factor(
        "exemption_ended",
        _("Exemption just ended"),
        10,
        _("Came back from a deferral or suspension in the last 90 days"),
        "Hunt 2008 (interrupted schooling)",
    ),
    # Left-behind children and children without a parent: Lu (2012), "Education of children
    # left behind in rural China", Journal of Marriage and Family 74(2); Zhang et al. (2014),
    # "Left behind by parental migration…", China Economic Review 29.
    Factor(
        "left_behind",
        _("Left-behind or without a parent"),
        10,
        _("A left-behind child, an orphan or a child without de-facto support"),
        "Lu 2012; Zhang et al. 2014",
    ),
    # Household poverty: Yi et al. 2012; Li et al. (2017), "The economic returns and
    # opportunity cost of junior high school in rural China" (the cost of staying in school).
    Factor(
        "poverty",
        _("Poor or monitored household"),
        10,
        _("The household is registered poor, lifted, monitored, on minimum allowance or destitute"),
        "Yi et al. 2012; Li et al. 2017",
    ),
    # Disabled children without an assessed placement (随班就读, 特校, 送教上门) are the group
    # the 2017 regulations name as most often out of school (残疾人教育条例).
    Factor(
        "disability_unplaced",
        _("Disabled without a placement"),
        15,
        _("Disabled, and neither in inclusive placement, a special school nor home-delivered"),
        "残疾人教育条例 2017; Hunt 2008",
    ),
    # Siblings' schooling predicts a child's: Hunt 2008 (household decisions, older siblings).
    Factor(
        "sibling_dropout",
        _("A sibling dropped out"),
        15,
        _("Another child of the household has dropped out"),
        "Hunt 2008",
    ),
    # Boarding far from home in rural China: Yue et al. (2014), "Boarding at school and the
    # outcomes of rural students", China & World Economy; Mo et al. (2012).
    Factor(
        "boarding_far",
        _("Boarding far from home"),
        10,
        _("A boarder at a school in another township than the home village's"),
        "Yue et al. 2014; Mo et al. 2012",
    ),
)

FACTORS_BY_KEY = {factor.key: factor for factor in FACTORS}
FACTOR_KEYS = tuple(FACTORS_BY_KEY)
DEFAULT_POINTS = {factor.key: factor.points for factor in FACTORS}

# The thresholds of the rules above (in code: a weight changes the points, not the rule).
ABSENCE_30_MIN_DAYS = 3
ABSENCE_90_MIN_DAYS = 10
ABSENCE_SPELLS_MIN = 2
OVERAGE_MIN_YEARS = 2
TRANSITION_GRADES = (6, 7)
RECENT_DROPOUT_DAYS = 365
EXEMPTION_ENDED_DAYS = 90
