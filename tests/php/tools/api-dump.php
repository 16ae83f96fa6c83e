<?php

// Prints the public API of the redis_persona classes as JSON, either as the
// loaded extension declares it (`extension`) or as php-stubs/ declares it
// (`stubs`, run without the extension). StubsTest compares the two.
$mode = $argv[1] ?? 'extension';
if ($mode === 'stubs') {
    $dir = $argv[2];
    require "$dir/RedisPersona/Exception.php";
    foreach (glob("$dir/RedisPersona/*.php") as $file) {
        require_once $file;
    }
    $classes = array_filter(
        get_declared_classes(),
        fn (string $c) => str_starts_with((string) (new ReflectionClass($c))->getFileName(), realpath($dir))
    );
} else {
    $classes = array_filter(
        get_declared_classes(),
        fn (string $c) => (new ReflectionClass($c))->getExtensionName() === 'redis_persona'
    );
}
sort($classes);

$type = fn (?ReflectionType $t) => $t === null ? null : (string) $t;
$api = [];
foreach ($classes as $name) {
    $class = new ReflectionClass($name);
    $entry = [
        'parent' => $class->getParentClass() ? $class->getParentClass()->getName() : null,
        'final' => $class->isFinal(),
        'abstract' => $class->isAbstract(),
        'interfaces' => $class->getInterfaceNames(),
        'constants' => [],
        'properties' => [],
        'methods' => [],
    ];
    sort($entry['interfaces']);
    foreach ($class->getReflectionConstants() as $constant) {
        if ($constant->getDeclaringClass()->getName() === $name) {
            $entry['constants'][$constant->getName()] = $constant->getValue();
        }
    }
    foreach ($class->getProperties() as $property) {
        if ($property->getDeclaringClass()->getName() !== $name) {
            continue;
        }
        $entry['properties'][$property->getName()] = [
            'visibility' => implode(' ', Reflection::getModifierNames($property->getModifiers())),
            'type' => $type($property->getType()),
            'default' => $property->hasDefaultValue() ? var_export($property->getDefaultValue(), true) : null,
        ];
    }
    foreach ($class->getMethods() as $method) {
        if ($method->getDeclaringClass()->getName() !== $name) {
            continue;
        }
        $params = [];
        foreach ($method->getParameters() as $param) {
            $params[] = [
                'name' => $param->getName(),
                'type' => $type($param->getType()),
                'optional' => $param->isOptional(),
                'default' => $param->isDefaultValueAvailable() ? var_export($param->getDefaultValue(), true) : null,
                'variadic' => $param->isVariadic(),
                'by_ref' => $param->isPassedByReference(),
            ];
        }
        $entry['methods'][$method->getName()] = [
            'visibility' => $method->isPublic() ? 'public' : ($method->isProtected() ? 'protected' : 'private'),
            'static' => $method->isStatic(),
            'return' => $type($method->getReturnType()),
            'params' => $params,
        ];
    }
    ksort($entry['methods']);
    ksort($entry['properties']);
    ksort($entry['constants']);
    $api[$name] = $entry;
}
echo json_encode($api, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES), "\n";
