from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from core import audit

from .search import Query, search


@login_required
def search_page(request):
    """Results grouped by kind. The audit log records that a search happened and of what kind,
    never what was typed (an ID or a child's name is personal data)."""
    query = Query.parse(request.GET.get("q", ""))
    groups = search(request.user, query) if query else []
    if query:
        audit.record(
            audit.AuditEvent.Action.VIEW,
            request=request,
            object_type="search",
            object_repr="search",
            detail={
                "search": query.for_the_log,
                "found": {group.key: len(group.results) for group in groups},
            },
        )
    return render(
        request,
        "enrollment/search.html",
        {"q": request.GET.get("q", "")[:50], "query": query, "groups": groups},
    )
