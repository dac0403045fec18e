"""The Studies page: multi-site studies with a split decryption key (``services.study``)."""
