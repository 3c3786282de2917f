"""Views of the numbers inventory; the Omilia operation pages are the omilia* modules."""
