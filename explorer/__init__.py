"""The sigmoid-rate explorer: a Panel dashboard over ``model``."""
