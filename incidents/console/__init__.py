"""Staff pages: forms and views that call the timeline's and monitoring's verbs."""
