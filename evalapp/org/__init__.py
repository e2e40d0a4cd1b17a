"""The organisation: units as a tree, people, posts and duty groups."""
