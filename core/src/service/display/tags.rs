//! The tags of the Display System N-GET attribute set (PS3.4 Table EE.2.2.1-2, PS3.6).
//!
//! A requestor builds its Attribute Identifier List from the top-level ones; only those can be
//! requested (PS3.4 EE.2.2.1.2: a sequence is requested whole).

use crate::dataset::Tag;

macro_rules! tags {
    ($( $name:ident = ($group:literal, $element:literal), $keyword:literal; )*) => {
        $(
            #[doc = concat!("`", $keyword, "`")]
            pub const $name: Tag = Tag::new($group, $element);
        )*

        /// Every tag above with its PS3.6 keyword, for the test against the dictionary.
        #[cfg(test)]
        pub(super) const ALL: &[(Tag, &str)] = &[$(($name, $keyword),)*];
    };
}

tags! {
    SPECIFIC_CHARACTER_SET = (0x0008, 0x0005), "SpecificCharacterSet";
    MANUFACTURER = (0x0008, 0x0070), "Manufacturer";
    INSTITUTION_NAME = (0x0008, 0x0080), "InstitutionName";
    INSTITUTION_ADDRESS = (0x0008, 0x0081), "InstitutionAddress";
    INSTITUTION_CODE_SEQUENCE = (0x0008, 0x0082), "InstitutionCodeSequence";
    CODE_VALUE = (0x0008, 0x0100), "CodeValue";
    CODING_SCHEME_DESIGNATOR = (0x0008, 0x0102), "CodingSchemeDesignator";
    CODING_SCHEME_VERSION = (0x0008, 0x0103), "CodingSchemeVersion";
    CODE_MEANING = (0x0008, 0x0104), "CodeMeaning";
    STATION_NAME = (0x0008, 0x1010), "StationName";
    INSTITUTIONAL_DEPARTMENT_NAME = (0x0008, 0x1040), "InstitutionalDepartmentName";
    INSTITUTIONAL_DEPARTMENT_TYPE_CODE_SEQUENCE = (0x0008, 0x1041), "InstitutionalDepartmentTypeCodeSequence";
    MANUFACTURER_MODEL_NAME = (0x0008, 0x1090), "ManufacturerModelName";
    REFERENCED_IMAGE_SEQUENCE = (0x0008, 0x1140), "ReferencedImageSequence";
    REFERENCED_SOP_CLASS_UID = (0x0008, 0x1150), "ReferencedSOPClassUID";
    REFERENCED_SOP_INSTANCE_UID = (0x0008, 0x1155), "ReferencedSOPInstanceUID";
    DEVICE_SERIAL_NUMBER = (0x0018, 0x1000), "DeviceSerialNumber";
    DATE_TIME_OF_LAST_CALIBRATION = (0x0018, 0x1202), "DateTimeOfLastCalibration";
    DATE_OF_MANUFACTURE = (0x0018, 0x1204), "DateOfManufacture";
    DATE_OF_INSTALLATION = (0x0018, 0x1205), "DateOfInstallation";
    EQUIPMENT_ADMINISTRATOR_SEQUENCE = (0x0028, 0x7000), "EquipmentAdministratorSequence";
    NUMBER_OF_DISPLAY_SUBSYSTEMS = (0x0028, 0x7001), "NumberOfDisplaySubsystems";
    CURRENT_CONFIGURATION_ID = (0x0028, 0x7002), "CurrentConfigurationID";
    DISPLAY_SUBSYSTEM_ID = (0x0028, 0x7003), "DisplaySubsystemID";
    DISPLAY_SUBSYSTEM_NAME = (0x0028, 0x7004), "DisplaySubsystemName";
    DISPLAY_SUBSYSTEM_DESCRIPTION = (0x0028, 0x7005), "DisplaySubsystemDescription";
    SYSTEM_STATUS = (0x0028, 0x7006), "SystemStatus";
    SYSTEM_STATUS_COMMENT = (0x0028, 0x7007), "SystemStatusComment";
    TARGET_LUMINANCE_CHARACTERISTICS_SEQUENCE = (0x0028, 0x7008), "TargetLuminanceCharacteristicsSequence";
    LUMINANCE_CHARACTERISTICS_ID = (0x0028, 0x7009), "LuminanceCharacteristicsID";
    DISPLAY_SUBSYSTEM_CONFIGURATION_SEQUENCE = (0x0028, 0x700A), "DisplaySubsystemConfigurationSequence";
    CONFIGURATION_ID = (0x0028, 0x700B), "ConfigurationID";
    CONFIGURATION_NAME = (0x0028, 0x700C), "ConfigurationName";
    CONFIGURATION_DESCRIPTION = (0x0028, 0x700D), "ConfigurationDescription";
    REFERENCED_TARGET_LUMINANCE_CHARACTERISTICS_ID = (0x0028, 0x700E), "ReferencedTargetLuminanceCharacteristicsID";
    QA_RESULTS_SEQUENCE = (0x0028, 0x700F), "QAResultsSequence";
    DISPLAY_SUBSYSTEM_QA_RESULTS_SEQUENCE = (0x0028, 0x7010), "DisplaySubsystemQAResultsSequence";
    CONFIGURATION_QA_RESULTS_SEQUENCE = (0x0028, 0x7011), "ConfigurationQAResultsSequence";
    MEASUREMENT_EQUIPMENT_SEQUENCE = (0x0028, 0x7012), "MeasurementEquipmentSequence";
    MEASUREMENT_FUNCTIONS = (0x0028, 0x7013), "MeasurementFunctions";
    MEASUREMENT_EQUIPMENT_TYPE = (0x0028, 0x7014), "MeasurementEquipmentType";
    VISUAL_EVALUATION_RESULT_SEQUENCE = (0x0028, 0x7015), "VisualEvaluationResultSequence";
    DISPLAY_CALIBRATION_RESULT_SEQUENCE = (0x0028, 0x7016), "DisplayCalibrationResultSequence";
    DDL_VALUE = (0x0028, 0x7017), "DDLValue";
    CIEXY_WHITE_POINT = (0x0028, 0x7018), "CIExyWhitePoint";
    DISPLAY_FUNCTION_TYPE = (0x0028, 0x7019), "DisplayFunctionType";
    GAMMA_VALUE = (0x0028, 0x701A), "GammaValue";
    NUMBER_OF_LUMINANCE_POINTS = (0x0028, 0x701B), "NumberOfLuminancePoints";
    LUMINANCE_RESPONSE_SEQUENCE = (0x0028, 0x701C), "LuminanceResponseSequence";
    TARGET_MINIMUM_LUMINANCE = (0x0028, 0x701D), "TargetMinimumLuminance";
    TARGET_MAXIMUM_LUMINANCE = (0x0028, 0x701E), "TargetMaximumLuminance";
    LUMINANCE_VALUE = (0x0028, 0x701F), "LuminanceValue";
    LUMINANCE_RESPONSE_DESCRIPTION = (0x0028, 0x7020), "LuminanceResponseDescription";
    WHITE_POINT_FLAG = (0x0028, 0x7021), "WhitePointFlag";
    DISPLAY_DEVICE_TYPE_CODE_SEQUENCE = (0x0028, 0x7022), "DisplayDeviceTypeCodeSequence";
    DISPLAY_SUBSYSTEM_SEQUENCE = (0x0028, 0x7023), "DisplaySubsystemSequence";
    LUMINANCE_RESULT_SEQUENCE = (0x0028, 0x7024), "LuminanceResultSequence";
    AMBIENT_LIGHT_VALUE_SOURCE = (0x0028, 0x7025), "AmbientLightValueSource";
    MEASURED_CHARACTERISTICS = (0x0028, 0x7026), "MeasuredCharacteristics";
    LUMINANCE_UNIFORMITY_RESULT_SEQUENCE = (0x0028, 0x7027), "LuminanceUniformityResultSequence";
    VISUAL_EVALUATION_TEST_SEQUENCE = (0x0028, 0x7028), "VisualEvaluationTestSequence";
    TEST_RESULT = (0x0028, 0x7029), "TestResult";
    TEST_RESULT_COMMENT = (0x0028, 0x702A), "TestResultComment";
    TEST_IMAGE_VALIDATION = (0x0028, 0x702B), "TestImageValidation";
    TEST_PATTERN_CODE_SEQUENCE = (0x0028, 0x702C), "TestPatternCodeSequence";
    MEASUREMENT_PATTERN_CODE_SEQUENCE = (0x0028, 0x702D), "MeasurementPatternCodeSequence";
    VISUAL_EVALUATION_METHOD_CODE_SEQUENCE = (0x0028, 0x702E), "VisualEvaluationMethodCodeSequence";
    PERSON_IDENTIFICATION_CODE_SEQUENCE = (0x0040, 0x1101), "PersonIdentificationCodeSequence";
    PERSON_ADDRESS = (0x0040, 0x1102), "PersonAddress";
    PERSON_TELEPHONE_NUMBERS = (0x0040, 0x1103), "PersonTelephoneNumbers";
    PERSON_TELECOM_INFORMATION = (0x0040, 0x1104), "PersonTelecomInformation";
    HUMAN_PERFORMER_CODE_SEQUENCE = (0x0040, 0x4009), "HumanPerformerCodeSequence";
    ACTUAL_HUMAN_PERFORMERS_SEQUENCE = (0x0040, 0x4035), "ActualHumanPerformersSequence";
    HUMAN_PERFORMER_ORGANIZATION = (0x0040, 0x4036), "HumanPerformerOrganization";
    HUMAN_PERFORMER_NAME = (0x0040, 0x4037), "HumanPerformerName";
    PERFORMED_PROCEDURE_STEP_START_DATE_TIME = (0x0040, 0x4050), "PerformedProcedureStepStartDateTime";
    PERFORMED_PROCEDURE_STEP_END_DATE_TIME = (0x0040, 0x4051), "PerformedProcedureStepEndDateTime";
    PERSON_NAME = (0x0040, 0xA123), "PersonName";
    REFLECTED_AMBIENT_LIGHT = (0x2010, 0x0160), "ReflectedAmbientLight";
}
