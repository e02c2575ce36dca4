"""A griffe extension that documents functions made by factories.

griffe reads the source without running it, so ``zeros = _factory(...)`` or
``eq = _binary_compare(Eq)`` look like plain attributes: no signature, no docstring. This
extension imports the package and, where such an attribute holds a function at run time,
replaces it with a function carrying the runtime signature and docstring.

Used by mkdocs.yml (``extensions``); run mkdocs from the repository root.
"""

from __future__ import annotations

import importlib
import inspect
import sys

import griffe


class RuntimeFactories(griffe.Extension):
    def on_package(self, *, pkg, loader, **kwargs):
        # the `paths` of mkdocs.yml, so that the packages import even when not installed
        for path in map(str, loader.finder.search_paths):
            if path not in sys.path:
                sys.path.append(path)
        self._parser = loader.docstring_parser
        self._options = loader.docstring_options
        # Importing the package loads its public modules; the others (scripts such as
        # embervision.train, with their own dependencies) are left alone.
        importlib.import_module(pkg.path)
        for module in _modules(pkg):
            runtime = sys.modules.get(module.path)
            if runtime is None:
                continue
            self._replace(module, runtime)
            for member in list(module.members.values()):
                if not member.is_alias and member.is_class:
                    self._replace(member, getattr(runtime, member.name, None))

    def _replace(self, owner, runtime):
        """Swap the attributes of ``owner`` that are functions in ``runtime`` for functions,
        and add the public functions ``runtime`` makes in a loop (``globals().update``),
        which griffe cannot see in the source at all."""
        for name, member in list(owner.members.items()):
            if member.is_alias or not member.is_attribute:
                continue
            value = getattr(runtime, name, None)
            if inspect.isroutine(value):
                owner.set_member(name, self._function(name, value, member))
        if not owner.is_module:
            return
        package = owner.path.split(".")[0]
        for name in getattr(runtime, "__all__", None) or dir(runtime):
            value = getattr(runtime, name, None)
            if (
                name not in owner.members
                and not name.startswith("_")
                and inspect.isroutine(value)
                and (getattr(value, "__module__", None) or "").split(".")[0] == package
            ):
                owner.set_member(name, self._function(name, value, None))

    def _function(self, name, value, attribute):
        try:
            signature = inspect.signature(value)
        except (TypeError, ValueError):  # a builtin without a signature
            parameters = []
        else:
            parameters = [_parameter(p) for p in signature.parameters.values()]
        doc = inspect.getdoc(value)
        docstring = None
        if doc:
            docstring = griffe.Docstring(
                doc,
                lineno=attribute and attribute.lineno,
                parser=self._parser,
                parser_options=self._options,
            )
        return griffe.Function(
            name,
            lineno=attribute and attribute.lineno,
            endlineno=attribute and attribute.endlineno,
            parameters=griffe.Parameters(*parameters),
            docstring=docstring,
        )


def _modules(module):
    yield module
    for member in module.members.values():
        if not member.is_alias and member.is_module:
            yield from _modules(member)


def _parameter(p):
    default = None if p.default is inspect.Parameter.empty else repr(p.default)
    return griffe.Parameter(p.name, kind=griffe.ParameterKind(p.kind.description), default=default)
