"""The demo's users: one per role, with a name, and the scope the role covers."""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from ..models import County, Prefecture, School
from ..roles import Role
from ..services import grant_role
from .data import DEMO_COUNTY_CODE, DEMO_PASSWORD

DEMO_USERS = [
    ("admin", Role.COUNTY_ADMIN, "county"),
    ("bureau", Role.BUREAU_STAFF, "county"),
    ("township1", Role.TOWNSHIP_OFFICIAL, "township1"),
    ("township2", Role.TOWNSHIP_OFFICIAL, "township2"),
    ("village1", Role.VILLAGE_CADRE, "village1"),
    ("school1", Role.SCHOOL_STAFF, "school1"),
    ("inspector", Role.INSPECTOR, "county"),
    ("auditor", Role.AUDITOR, "county"),
    ("prefecture", Role.PREFECTURE_VIEWER, "prefecture"),
]

# The city above the demo county and the benchmark's city-scale counties (519901…519910).
DEMO_PREFECTURE = ("5199", "云岭市")


# Family name, given name (core.people.person_name writes them family name first).
DEMO_NAMES = {
    "admin": ("赵", "志强"),
    "bureau": ("钱", "丽华"),
    "township1": ("孙", "建国"),
    "township2": ("李", "秀英"),
    "village1": ("周", "德明"),
    "school1": ("吴", "晓燕"),
    "inspector": ("郑", "国栋"),
    "auditor": ("王", "静"),
    "prefecture": ("冯", "立新"),
}

# Each demo user's post (职务) in the unit of their role.
DEMO_POSTS = {
    "admin": "信息中心主任",
    "bureau": "学生资助股股长",
    "township1": "副镇长",
    "township2": "党委委员",
    "village1": "村委会主任",
    "school1": "教导主任",
    "inspector": "责任督学",
    "auditor": "审计员",
    "prefecture": "市教育局基础教育科科长",
}


def ensure_demo_prefecture() -> Prefecture:
    """The demo city, over every demo county present (those loaded since are added on the next
    run: seed_demo calls this after loading)."""
    code, name = DEMO_PREFECTURE
    prefecture, _ = Prefecture.objects.get_or_create(code=code, defaults={"name": name})
    for county in County.objects.filter(
        code__startswith=DEMO_COUNTY_CODE[:4], prefecture__isnull=True
    ):
        county.prefecture = prefecture
        county.save(update_fields=["prefecture"])
    return prefecture


def ensure_demo_users(county: County) -> list[tuple[str, str, str]]:
    """One user per role; passwords reset to the demo password on every run."""
    township1, township2 = county.townships.order_by("code")[:2]
    places = {
        "prefecture": ensure_demo_prefecture(),
        "county": county,
        "township1": township1,
        "township2": township2,
        "village1": township1.villages.order_by("code").first(),
        "school1": township1.schools.filter(stage=School.Stage.PRIMARY).order_by("code").first(),
    }
    user_model = get_user_model()
    # One hash for all (each costs the hasher's full work factor, about half a second).
    password = make_password(DEMO_PASSWORD)
    created = []
    for username, role, place_key in DEMO_USERS:
        user, _ = user_model.objects.get_or_create(username=username)
        user.password = password
        # Pages, history lines, notices and exports name people, not logins.
        user.last_name, user.first_name = DEMO_NAMES[username]
        user.save()
        grant_role(user=user, role=role, place=places[place_key], post=DEMO_POSTS[username])
        created.append((username, Role(role).label, places[place_key].name))
    return created


def demo_accounts(county: County) -> dict:
    """The demo users by username, plus each township official under
    "township_official:<township id>" (for the modules' demo loaders)."""
    user_model = get_user_model()
    accounts = {
        user.username: user
        for user in user_model.objects.filter(
            username__in=[username for username, _role, _place in DEMO_USERS]
        )
    }
    for username in ("township1", "township2"):
        assignment = accounts[username].role_assignments.first()
        accounts[f"township_official:{assignment.township_id}"] = accounts[username]
    return accounts
