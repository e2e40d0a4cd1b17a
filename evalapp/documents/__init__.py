"""Documents: the engine any area uses to render (WeasyPrint), number, fingerprint, store, sign
(pyHanko) and verify Vietnamese administrative PDFs. A document is owned by an object of some
area through a link; the owning area registers its kinds, signers and permissions
(evalapp.documents.registry). This package imports no other area."""
