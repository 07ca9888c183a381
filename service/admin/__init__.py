"""Admin web pages and their JSON endpoints for branch, committee and inspection staff."""
