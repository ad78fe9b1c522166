"""Placeholder: views of this area are being written."""

urlpatterns = []
