/// The YAML/JSON shape of a rule: the detector is flattened into `builtin`, `terms` or
/// `regex` + `maxLength` (+ `caseInsensitive`), which reads better in a reviewed file
/// than a nested tagged union.
extension MaskingRule: Codable {
    private enum CodingKeys: String, CodingKey {
        case id, entity, action, directions, priority, enabled
        case builtin, terms, regex, maxLength, caseInsensitive
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let id = try container.decode(String.self, forKey: .id)
        let builtin = try container.decodeIfPresent(BuiltinDetector.self, forKey: .builtin)
        let terms = try container.decodeIfPresent([String].self, forKey: .terms)
        let pattern = try container.decodeIfPresent(String.self, forKey: .regex)
        let detector: DetectorSpec
        switch (builtin, terms, pattern) {
        case (let builtin?, nil, nil):
            detector = .builtin(builtin)
        case (nil, let terms?, nil):
            detector = .terms(terms)
        case (nil, nil, let pattern?):
            guard let maxLength = try container.decodeIfPresent(Int.self, forKey: .maxLength) else {
                throw DecodingError.keyNotFound(
                    CodingKeys.maxLength,
                    .init(codingPath: container.codingPath, debugDescription: "rule '\(id)': a regex rule needs maxLength")
                )
            }
            let caseInsensitive = try container.decodeIfPresent(Bool.self, forKey: .caseInsensitive) ?? false
            detector = .regex(pattern: pattern, maxLength: maxLength, caseInsensitive: caseInsensitive)
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .builtin,
                in: container,
                debugDescription: "rule '\(id)': give exactly one of builtin, terms or regex"
            )
        }
        let entity = try container.decodeIfPresent(EntityType.self, forKey: .entity)
        if entity == nil, case .builtin = detector {
        } else if entity == nil {
            throw DecodingError.keyNotFound(
                CodingKeys.entity,
                .init(codingPath: container.codingPath, debugDescription: "rule '\(id)': terms and regex rules need an entity")
            )
        }
        self.init(
            id: id,
            entity: entity,
            detector: detector,
            action: try container.decode(MaskingAction.self, forKey: .action),
            directions: try container.decodeIfPresent(Set<MaskingDirection>.self, forKey: .directions)
                ?? Set(MaskingDirection.allCases),
            priority: try container.decodeIfPresent(Int.self, forKey: .priority),
            isEnabled: try container.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        )
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(entity, forKey: .entity)
        switch detector {
        case .builtin(let builtin):
            try container.encode(builtin, forKey: .builtin)
        case .terms(let terms):
            try container.encode(terms, forKey: .terms)
        case .regex(let pattern, let maxLength, let caseInsensitive):
            try container.encode(pattern, forKey: .regex)
            try container.encode(maxLength, forKey: .maxLength)
            if caseInsensitive { try container.encode(true, forKey: .caseInsensitive) }
        }
        try container.encode(action, forKey: .action)
        try container.encode(MaskingDirection.allCases.filter(directions.contains), forKey: .directions)
        try container.encode(priority, forKey: .priority)
        if !isEnabled { try container.encode(false, forKey: .enabled) }
    }
}
