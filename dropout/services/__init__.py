"""Every rule of the dropout procedure lives here; views, the API, the admin and tasks call it."""
