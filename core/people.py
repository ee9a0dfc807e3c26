"""How a person is named on pages, history lines, notices and exports: their full name (family
name first, as Chinese names are written), never a login name unless no name was recorded."""


def person_name(user) -> str:
    if user is None:
        return ""
    name = f"{user.last_name}{user.first_name}".strip()
    return name or user.get_username()


def display_name(user, post: str = "") -> str:
    """The name, with the post (职务) where one is known: 孙建国（副镇长）."""
    name = person_name(user)
    return f"{name}（{post}）" if name and post else name
