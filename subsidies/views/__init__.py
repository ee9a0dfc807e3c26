"""Pages of the subsidies module, one module per area. Each action: GET shows the form, POST
calls the service and turns a refusal into a message; every read goes through for_user()."""
