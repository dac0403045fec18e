"""Qt views of the DP area: the "Statistics with differential privacy" wizard page, the budget
panel, and the perturbation page of the Prepare wizard. All work runs in ``services.dp``."""
