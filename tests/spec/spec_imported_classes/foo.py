"""A class named as one in bar.py: the two are different classes (test_jit_class_type)."""


class FooSameName:
    def __init__(self, x):
        self.x = x
