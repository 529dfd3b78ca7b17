#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CMobileNetHeader
import MobileNet
import MobileNetKernelInterface

/// sizeof(mobilenet_options) in 0.1.0: struct_size, num_threads, crop_fraction.
let firstOptionsSize = MemoryLayout<mobilenet_options>.offset(of: \mobilenet_options.max_isa)!

func defaultOptions() -> mobilenet_options {
    mobilenet_options(struct_size: MemoryLayout<mobilenet_options>.size, num_threads: 0, crop_fraction: 0,
                      max_isa: MOBILENET_ISA_AUTO)
}

/// 0.1.0's entry point: its callers' struct is 0.1.0's, so only that prefix is written.
@_cdecl("mobilenet_options_init")
public func mobilenet_options_init(_ options: UnsafeMutablePointer<mobilenet_options>?) {
    guard let options else { return }
    var defaults = defaultOptions()
    defaults.struct_size = firstOptionsSize
    StructSize.write(defaults, to: options, size: firstOptionsSize)
}

@_cdecl("mobilenet_options_init_sized")
public func mobilenet_options_init_sized(_ options: UnsafeMutablePointer<mobilenet_options>?,
                                         _ size: Int) -> mobilenet_status {
    // NULL is ignored, as by mobilenet_options_init (which the header's macro
    // maps here): the status says so, the last error is left alone.
    guard let options else { return MOBILENET_ERROR_INVALID_ARGUMENT }
    return guarded("mobilenet_options_init_sized") {
        try StructSize.check(size < 0 ? Int.max : size, first: firstOptionsSize,
                             current: MemoryLayout<mobilenet_options>.size, name: "mobilenet_options")
        var defaults = defaultOptions()
        defaults.struct_size = size
        StructSize.write(defaults, to: options, size: size)
    }
}

/// Core load options from a caller's (possibly NULL) mobilenet_options of
/// any released size.
func loadOptions(_ options: UnsafePointer<mobilenet_options>?) throws -> LoadOptions {
    guard let options else { return LoadOptions() }
    // Only the first field is read until the size is known to be valid.
    let size = UnsafeRawPointer(options).load(as: Int.self)
    try StructSize.check(size, first: firstOptionsSize, current: MemoryLayout<mobilenet_options>.size,
                         name: "mobilenet_options")
    var caller = StructSize.read(options, size: size, over: defaultOptions())
    // A field the caller's size covers only in part is not the caller's: default it.
    if size < firstOptionsSize + MemoryLayout<mobilenet_isa>.size { caller.max_isa = MOBILENET_ISA_AUTO }
    let threads = Int(caller.num_threads)
    let crop = caller.crop_fraction
    guard !crop.isNaN else { throw invalidArgument("options->crop_fraction is NaN") }
    return LoadOptions(numThreads: threads,
                       cropFraction: crop == 0 ? Preprocessing.defaultCropFraction : Double(crop),
                       maxTier: try ISATier.from(caller.max_isa))
}

func store(_ model: Model, into out: UnsafeMutablePointer<OpaquePointer?>) throws {
    out.pointee = try ModelHandle(model: model).opaque
}

@_cdecl("mobilenet_model_load")
public func mobilenet_model_load(_ path: UnsafePointer<CChar>?, _ options: UnsafePointer<mobilenet_options>?,
                                 _ outModel: UnsafeMutablePointer<OpaquePointer?>?) -> mobilenet_status {
    guarded("mobilenet_model_load") {
        guard let path else { throw invalidArgument("path is NULL") }
        guard let outModel else { throw invalidArgument("out_model is NULL") }
        let options = try loadOptions(options)
        guard path.pointee != 0 else { throw invalidArgument("path is empty") }
        // The name's bytes as given, NUL included: String(cString:) would
        // replace invalid UTF-8 with U+FFFD and open a different file.
        let bytes = Array(UnsafeBufferPointer(start: path, count: strlen(path) + 1))
        try store(Model(pathBytes: bytes, options: options), into: outModel)
    }
}

@_cdecl("mobilenet_model_load_memory")
public func mobilenet_model_load_memory(_ data: UnsafeRawPointer?, _ size: Int,
                                        _ options: UnsafePointer<mobilenet_options>?,
                                        _ outModel: UnsafeMutablePointer<OpaquePointer?>?) -> mobilenet_status {
    guarded("mobilenet_model_load_memory") {
        guard let data else { throw invalidArgument("data is NULL") }
        guard let outModel else { throw invalidArgument("out_model is NULL") }
        guard size > 0 else { throw MobileNetError(.format, "the model data is empty (size 0)") }
        let options = try loadOptions(options)
        try store(Model(bytes: UnsafeRawBufferPointer(start: data, count: size), options: options), into: outModel)
    }
}

@_cdecl("mobilenet_model_free")
public func mobilenet_model_free(_ model: OpaquePointer?) {
    guard let model else { return }
    ModelHandle.release(model)
}

@_cdecl("mobilenet_model_run")
public func mobilenet_model_run(_ model: OpaquePointer?, _ input: UnsafePointer<Float>?, _ batch: Int32,
                                _ height: Int32, _ width: Int32, _ logits: UnsafeMutablePointer<Float>?,
                                _ capacity: Int) -> mobilenet_status {
    guarded("mobilenet_model_run") {
        let handle = try handle(model)
        guard let input else { throw invalidArgument("input is NULL") }
        guard let logits else { throw invalidArgument("logits is NULL") }
        // size_t arrives as Int: a capacity above Int.max reads as negative.
        try handle.model.run(input: input, batch: Int(batch), height: Int(height), width: Int(width),
                             logits: logits, capacity: capacity < 0 ? Int.max : capacity)
    }
}

@_cdecl("mobilenet_model_classify_rgb8")
public func mobilenet_model_classify_rgb8(_ model: OpaquePointer?, _ rgb: UnsafePointer<UInt8>?, _ width: Int32,
                                          _ height: Int32, _ rowStride: Int, _ topK: Int32,
                                          _ predictions: UnsafeMutablePointer<mobilenet_prediction>?) -> mobilenet_status {
    guarded("mobilenet_model_classify_rgb8") {
        let handle = try handle(model)
        guard let rgb else { throw invalidArgument("rgb is NULL") }
        guard let predictions else { throw invalidArgument("predictions is NULL") }
        guard rowStride >= 0 else { throw invalidArgument("row_stride is too large") }
        try handle.model.classify(rgb: rgb, width: Int(width), height: Int(height), rowStride: rowStride,
                                  topK: Int(topK)) { rank, index, probability in
            predictions[rank] = mobilenet_prediction(class_index: Int32(index), probability: probability,
                                                     label: handle.label(index))
        }
    }
}

@_cdecl("mobilenet_model_num_classes")
public func mobilenet_model_num_classes(_ model: OpaquePointer?) -> Int32 {
    guard let model else { return 0 }
    return Int32(ModelHandle.from(model).model.numClasses)
}

@_cdecl("mobilenet_model_label")
public func mobilenet_model_label(_ model: OpaquePointer?, _ classIndex: Int32) -> UnsafePointer<CChar>? {
    guard let model else { return nil }
    return ModelHandle.from(model).label(Int(classIndex))
}

@_cdecl("mobilenet_model_isa")
public func mobilenet_model_isa(_ model: OpaquePointer?) -> mobilenet_isa {
    guard let model else { return MOBILENET_ISA_AUTO }
    return ModelHandle.from(model).model.kernelTier.c
}

@_cdecl("mobilenet_model_precision")
public func mobilenet_model_precision(_ model: OpaquePointer?) -> mobilenet_precision {
    guard let model else { return MOBILENET_PRECISION_UNKNOWN }
    return ModelHandle.from(model).model.precision.c
}

@_cdecl("mobilenet_precision_name")
public func mobilenet_precision_name(_ precision: mobilenet_precision) -> UnsafePointer<CChar> {
    switch precision {
    case MOBILENET_PRECISION_FLOAT32: return cString("float32")
    case MOBILENET_PRECISION_INT8: return cString("int8")
    case MOBILENET_PRECISION_UINT8: return cString("uint8")
    default: return cString("unknown")
    }
}

@_cdecl("mobilenet_best_isa")
public func mobilenet_best_isa() -> mobilenet_isa {
    guard let tier = try? KernelSelection.tierForLoad() else { return MOBILENET_ISA_AUTO }
    return tier.c
}

@_cdecl("mobilenet_isa_name")
public func mobilenet_isa_name(_ isa: mobilenet_isa) -> UnsafePointer<CChar> {
    switch isa {
    case MOBILENET_ISA_AUTO: return cString("auto")
    case MOBILENET_ISA_GENERIC: return cString("generic")
    case MOBILENET_ISA_AVX2: return cString("avx2")
    case MOBILENET_ISA_AVX512: return cString("avx512")
    case MOBILENET_ISA_NEON: return cString("neon")
    default: return cString("unknown")
    }
}
