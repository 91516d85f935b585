"""A class in a nested module (test_jit_class_type)."""


class FooUniqueName:
    def __init__(self, y):
        self.y = y
