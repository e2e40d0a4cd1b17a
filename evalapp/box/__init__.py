"""The ballot box any kind of round uses: see evalapp.box.services."""
