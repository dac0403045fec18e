"""Record-level perturbation: noise, swapping, microaggregation, randomized response.

Every method draws its randomness from the CSPRNG (``core.dp.rng``), including the methods that
give no formal DP guarantee: a recipient who could replay the randomness could undo them.
``recipe.apply_perturbation`` runs the recipe's ``perturbation`` section.
"""
