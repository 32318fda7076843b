"""The product catalogue and the products each customer holds."""
