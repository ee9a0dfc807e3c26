"""How a person is named on pages, history lines, notices and exports: their full name (family
name first, as Chinese names are written), never a login name unless no name was recorded."""


def person_name(user) -> str:
    if user is None:
        return ""
    name = f"{user.last_name}{user.first_name}".strip()
    return name or user.get_username()
