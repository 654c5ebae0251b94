"""The API's views, one module per resource; scoring/api/urls.py routes to them."""
