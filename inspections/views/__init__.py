"""Pages of the inspections module, one module per area. Each action: GET shows the form, POST
calls the service and turns a refusal into a message on the form. Reads go through for_user()
(404 outside the scope); acting needs the role (403)."""
