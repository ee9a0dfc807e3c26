"""Pages of the teacher workforce, one module per area. Reads go through for_user() (out of scope
→ 404); writes need a managing role in a covering scope (403) and call the services (a refusal →
a form message)."""
