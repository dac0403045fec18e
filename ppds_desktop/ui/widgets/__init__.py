"""Small reusable widgets shared by the GUI's pages and wizards."""
